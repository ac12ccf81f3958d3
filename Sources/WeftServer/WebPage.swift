/// The live web view served at `/` (Docs/server.md): one page of plain
/// HTML and JavaScript that reads the API — the runs list, a run's graph
/// drawn with its nodes' states updated live from the run's events, and
/// per-node timing.
enum WebPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Weft</title>
    <style>
    :root {
      --bg: #f4f5f7; --panel: #fff; --line: #d9dde3; --soft: #eef0f3; --text: #1c2230; --muted: #6b7280; --accent: #2f6fde;
      --pending-fill: #f3f4f6; --pending-line: #9ca3af;
      --completed-fill: #dcfce7; --completed-line: #16a34a;
      --failed-fill: #fee2e2; --failed-line: #dc2626;
      --skipped-fill: #fafafa; --skipped-line: #c9cdd3;
    }
    * { box-sizing: border-box; }
    body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg); }
    header { display: flex; align-items: center; gap: 14px; padding: 8px 14px; background: #1c2230; color: #fff; min-height: 44px; }
    header h1 { font-size: 17px; margin: 0; letter-spacing: .02em; }
    #status { color: #cbd5e1; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #token-form { margin-left: auto; display: flex; gap: 6px; align-items: center; font-size: 12px; }
    #token-form[hidden] { display: none; }
    #token-form input { width: 220px; padding: 3px 6px; }
    main { display: grid; grid-template-columns: minmax(280px, 360px) minmax(0, 1fr); gap: 12px; padding: 12px; align-items: start; }
    .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
    .panel h2 { font-size: 14px; margin: 0 0 8px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    .panel h3 { font-size: 13px; margin: 14px 0 6px; color: #374151; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--soft); white-space: nowrap; vertical-align: top; }
    th { font-weight: 600; color: var(--muted); font-size: 12px; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    #runs tbody tr { cursor: pointer; }
    #runs tbody tr:hover { background: #f5f8ff; }
    #runs tbody tr.selected { background: #e6eefc; }
    #runs tbody tr:focus { outline: 2px solid var(--accent); outline-offset: -2px; }
    .muted { color: var(--muted); }
    .badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; line-height: 18px; background: #e5e7eb; color: #374151; }
    .s-succeeded, .s-completed { background: #dcfce7; color: #166534; }
    .s-failed { background: #fee2e2; color: #991b1b; }
    .s-running { background: #dbeafe; color: #1e40af; }
    .s-queued, .s-pending { background: #f3f4f6; color: #4b5563; }
    .s-paused, .s-interrupted { background: #fef3c7; color: #92400e; }
    .s-cancelled, .s-skipped { background: #ede9fe; color: #5b21b6; }
    .tag { display: inline-block; padding: 0 5px; margin-right: 3px; border: 1px solid var(--line); border-radius: 4px; font-size: 11px; color: #374151; }
    #run-empty { color: var(--muted); padding: 30px 0; text-align: center; }
    #run-live { font-size: 12px; font-weight: normal; color: var(--muted); }
    #run-live.on { color: #15803d; }
    #run-actions { margin-left: auto; display: flex; gap: 6px; }
    button { font: inherit; font-size: 12px; padding: 2px 10px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
    button:disabled { color: #b0b5bd; cursor: default; }
    dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 4px 14px; margin: 0; }
    dl.facts div { min-width: 0; }
    dl.facts dt { font-size: 11px; color: var(--muted); }
    dl.facts dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #run-error { margin-top: 10px; padding: 6px 8px; border-left: 3px solid var(--failed-line); background: #fff5f5; white-space: pre-wrap; word-break: break-word; }
    #run-error[hidden] { display: none; }
    .split { display: flex; flex-wrap: wrap; gap: 0 16px; align-items: flex-start; }
    #graph-col { flex: 0 1 auto; min-width: 240px; max-width: 100%; }
    #nodes-col { flex: 1 1 340px; min-width: 0; overflow-x: auto; }
    #graph { overflow: auto; max-height: 70vh; border: 1px solid var(--soft); border-radius: 4px; background: #fcfcfd; }
    #graph svg { display: block; margin: 0 auto; }
    #graph .note { padding: 12px; color: var(--muted); }
    svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    g.node rect { fill: var(--pending-fill); stroke: var(--pending-line); stroke-width: 1.5; }
    g.node[data-state="completed"] rect { fill: var(--completed-fill); stroke: var(--completed-line); }
    g.node[data-state="failed"] rect { fill: var(--failed-fill); stroke: var(--failed-line); stroke-width: 2.5; }
    g.node[data-state="skipped"] rect { fill: var(--skipped-fill); stroke: var(--skipped-line); stroke-dasharray: 4 3; }
    g.node[data-state="skipped"] text { fill: #9ca3af; }
    g.node .id { font-size: 12px; font-weight: 600; fill: #111827; }
    g.node .type { font-size: 10.5px; fill: #6b7280; }
    g.node .stat { font-size: 10px; fill: #374151; }
    g.io rect { fill: #fff; stroke: #94a3b8; stroke-width: 1.2; }
    g.io text { font-size: 11px; fill: #475569; }
    path.edge { fill: none; stroke: #94a3b8; stroke-width: 1.3; }
    path.edge.back { stroke-dasharray: 5 4; stroke: #a78bfa; }
    path.edge.when { stroke: #f59e0b; }
    pre { margin: 0; padding: 6px 8px; background: #f8fafc; border: 1px solid var(--soft); border-radius: 4px; max-height: 240px; overflow: auto; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
    .io-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
    #timing td.msg { white-space: normal; color: var(--muted); padding-left: 18px; word-break: break-word; }
    #timing tr:has(+ tr.msg-row) td { border-bottom: none; }
    #timing td.err { color: #991b1b; }
    @media (max-width: 800px) { main { grid-template-columns: 1fr; } .io-grid { grid-template-columns: 1fr; } }
    </style>
    </head>
    <body>
    <header>
      <h1>Weft</h1>
      <span id="status"></span>
      <form id="token-form" hidden>
        <span id="token-msg">this server needs a token</span>
        <input id="token-input" type="password" autocomplete="off" placeholder="bearer token">
        <button type="submit">Use</button>
        <button type="button" id="token-clear">Forget</button>
      </form>
    </header>
    <main>
      <section class="panel" id="runs-panel">
        <h2>Runs <span class="muted" id="runs-count"></span></h2>
        <table id="runs">
          <thead><tr><th class="num">id</th><th>state</th><th>created</th><th class="num" title="attempts">att.</th><th>tags</th></tr></thead>
          <tbody id="runs-body"><tr><td colspan="5" class="muted">loading…</td></tr></tbody>
        </table>
      </section>
      <section class="panel" id="run-panel">
        <div id="run-empty">Select a run on the left.</div>
        <div id="run-view" hidden>
          <h2><span id="run-title">Run</span> <span id="run-state" class="badge"></span> <span id="run-live"></span>
            <span id="run-actions">
              <button type="button" data-action="pause">Pause</button>
              <button type="button" data-action="resume">Resume</button>
              <button type="button" data-action="cancel">Cancel</button>
            </span>
          </h2>
          <dl class="facts" id="run-facts"></dl>
          <div id="run-error" hidden></div>
          <div class="split">
          <div id="graph-col">
          <h3>Graph <span class="muted" id="graph-note"></span></h3>
          <div id="graph"></div>
          </div>
          <div id="nodes-col">
          <h3>Nodes</h3>
          <table id="timing">
            <thead><tr><th>node</th><th>type</th><th>state</th><th class="num">calls</th><th class="num">total ms</th><th class="num">max ms</th><th class="num">attempts</th></tr></thead>
            <tbody id="timing-body"></tbody>
          </table>
          </div>
          </div>
          <div class="io-grid">
            <div><h3>Inputs</h3><pre id="run-inputs"></pre></div>
            <div><h3>Outputs</h3><pre id="run-outputs"></pre></div>
          </div>
        </div>
      </section>
    </main>
    <script>
    "use strict";
    (function () {
      var TOKEN_KEY = "weft.token";
      var SVGNS = "http://www.w3.org/2000/svg";
      var FINAL = { succeeded: true, failed: true, cancelled: true };
      var STREAM_ENDS = { succeeded: true, failed: true, cancelled: true, paused: true };
      function $(id) { return document.getElementById(id); }
      function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
      function str(v) { return typeof v === "string" ? v : (v === null || v === undefined ? "" : String(v)); }
      function num(v) { var n = Number(v); return typeof v !== "boolean" && v !== null && v !== "" && isFinite(n) ? n : null; }
      // Elements are built with textContent / setAttribute only: no data ever goes through innerHTML.
      function build(doc, ns, tag, attrs, children) {
        var e = ns ? doc.createElementNS(ns, tag) : doc.createElement(tag);
        if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
        if (children) for (var i = 0; i < children.length; i++) {
          var c = children[i];
          if (c === null || c === undefined || c === false) continue;
          e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
        }
        return e;
      }
      function el(tag, attrs) { return build(document, null, tag, attrs, Array.prototype.slice.call(arguments, 2)); }
      function sv(tag, attrs) { return build(document, SVGNS, tag, attrs, Array.prototype.slice.call(arguments, 2)); }
      function pad(n) { return n < 10 ? "0" + n : String(n); }
      function fmtTime(sec) {
        var s = num(sec);
        if (s === null || s <= 0) return "—";
        var d = new Date(s * 1000);
        return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      }
      function fmtShortTime(sec) {
        var s = num(sec);
        if (s === null || s <= 0) return "—";
        var d = new Date(s * 1000), now = new Date();
        var hms = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
        if (d.toDateString() === now.toDateString()) return hms;
        return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hms;
      }
      function fmtMs(v) {
        var n = num(v);
        if (n === null) return "—";
        if (n < 10) return n.toFixed(2);
        if (n < 1000) return n.toFixed(1);
        return n.toFixed(0);
      }
      function fmtDuration(sec) {
        var s = num(sec);
        if (s === null || s < 0) return "—";
        if (s < 1) return (s * 1000).toFixed(0) + " ms";
        if (s < 120) return s.toFixed(2) + " s";
        return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
      }
      function json(v) { try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); } }
      function setStatus(text) { $("status").textContent = text; }
      // ---- the token and requests --------------------------------------------------
      var token = null;
      try { token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { token = null; }
      function headers(extra) {
        var h = {};
        if (extra) for (var k in extra) h[k] = extra[k];
        if (token) h["Authorization"] = "Bearer " + token;
        return h;
      }
      function HTTPError(status, message) { this.status = status; this.message = message; this.name = "HTTPError"; }
      HTTPError.prototype = Object.create(Error.prototype);
      function needToken() {
        $("token-msg").textContent = token ? "the token was refused; enter another" : "this server needs a token";
        if ($("token-form").hidden) { $("token-form").hidden = false; $("token-input").focus(); }
      }
      function api(path, opts) {
        opts = opts || {};
        return fetch(path, { method: opts.method || "GET", headers: headers(opts.headers), signal: opts.signal, cache: "no-store" })
          .then(function (res) {
            if (res.status === 401) { needToken(); throw new HTTPError(401, "a token is needed"); }
            return res.text().then(function (text) {
              var body = null;
              try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
              if (!res.ok) {
                var msg = isObj(body) && isObj(body.error) && typeof body.error.message === "string" ? body.error.message : "HTTP " + res.status;
                throw new HTTPError(res.status, msg);
              }
              return body;
            });
          });
      }
      $("token-form").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var t = $("token-input").value.trim();
        if (!t) return;
        token = t;
        try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode: keep it in memory */ }
        $("token-input").value = "";
        $("token-form").hidden = true;
        refreshRuns();
        select(hashRun(), true);
      });
      $("token-clear").addEventListener("click", function () {
        token = null;
        try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
        $("token-input").value = "";
        needToken();
      });
      // ---- the runs list ---------------------------------------------------------------
      var runs = [];
      var sel = null;
      function hashRun() {
        var m = /(?:^#|&)run=(\d+)/.exec(location.hash || "");
        return m ? m[1] : null;
      }
      function stateBadge(state, attrs) {
        var a = attrs || {};
        a["class"] = "badge s-" + str(state).replace(/[^a-z]/g, "");
        return el("span", a, str(state) || "?");
      }
      function renderRuns() {
        var body = $("runs-body");
        var rows = [];
        runs.forEach(function (r) {
          var id = str(r.id);
          var tags = Array.isArray(r.tags) ? r.tags.map(function (t) { return el("span", { "class": "tag" }, str(t)); }) : [];
          var created = el("td", { title: fmtTime(r.created_at) }, fmtShortTime(r.created_at));
          var tr = el("tr", { "data-run": id, tabindex: "0", "class": sel && sel.id === id ? "selected" : null },
            el("td", { "class": "num" }, id), el("td", null, stateBadge(r.state)), created,
            el("td", { "class": "num" }, str(r.attempts)), build(document, null, "td", null, tags));
          tr.addEventListener("click", function () { location.hash = "run=" + id; });
          tr.addEventListener("keydown", function (ev) { if (ev.key === "Enter") location.hash = "run=" + id; });
          rows.push(tr);
        });
        if (!rows.length) rows.push(el("tr", null, el("td", { colspan: "5", "class": "muted" }, "no runs yet")));
        body.replaceChildren.apply(body, rows);
        $("runs-count").textContent = runs.length ? "(" + runs.length + ")" : "";
      }
      var runsBusy = false, runsSeen = "";
      function refreshRuns() {
        if (runsBusy) return Promise.resolve();
        runsBusy = true;
        return api("/v1/runs?limit=50").then(function (doc) {
          runs = isObj(doc) && Array.isArray(doc.runs) ? doc.runs.filter(isObj) : [];
          var seen = JSON.stringify(runs);
          if (seen !== runsSeen) { runsSeen = seen; renderRuns(); }
          var d = new Date();
          setStatus("updated " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()));
        }, function (e) {
          if (e.status !== 401) { setStatus("cannot list the runs: " + e.message); return; }
          runsSeen = "";
          $("runs-body").replaceChildren(el("tr", null, el("td", { colspan: "5", "class": "muted" }, "a token is needed (above)")));
        }).then(function () {
          runsBusy = false;
          // The selected run: while it is not over, its details are read again.
          if (sel && !(sel.run && FINAL[sel.run.state])) loadDetails(sel);
        });
      }
      function runsLoop() { refreshRuns().then(function () { setTimeout(runsLoop, 2000); }); }
      // ---- the selected run ----------------------------------------------------------
      function newSelection(id) {
        return { id: id, abort: new AbortController(), live: new Map(), run: null, graphId: null, graph: null, view: null,
                 graphError: null, lastId: null, streaming: false, ended: false, detailsBusy: false, detailsAgain: false,
                 liveText: "", error: null, waves: 0 };
      }
      function select(id, force) {
        if (!force && sel && id === sel.id) return;
        if (sel) sel.abort.abort();
        sel = id ? newSelection(id) : null;
        Array.prototype.forEach.call($("runs-body").querySelectorAll("tr[data-run]"), function (tr) {
          tr.classList.toggle("selected", !!sel && tr.getAttribute("data-run") === sel.id);
        });
        $("run-empty").hidden = !!sel;
        $("run-view").hidden = !sel;
        if (!sel) { $("run-state").textContent = ""; return; }
        $("graph").replaceChildren(el("div", { "class": "note" }, "loading…"));
        renderRun(sel);
        loadDetails(sel);
        stream(sel);
      }
      function loadDetails(s) {
        if (s.detailsBusy) { s.detailsAgain = true; return; }
        s.detailsBusy = true;
        api("/v1/runs/" + encodeURIComponent(s.id), { signal: s.abort.signal }).then(function (run) {
          if (s !== sel || !isObj(run)) return null;
          s.run = run;
          s.error = null;
          var gid = str(run.graph_id);
          if (gid && gid !== s.graphId) {
            s.graphId = gid;
            return api("/v1/graphs/" + encodeURIComponent(gid), { signal: s.abort.signal }).then(function (g) {
              if (s !== sel) return;
              s.graph = g;
              s.view = null;
            }, function (e) { if (s === sel && e.name !== "AbortError") s.graphError = "cannot read the graph: " + e.message; });
          }
          return null;
        }).then(function () {
          if (s !== sel) return;
          // A paused run that was resumed: its events go on from where the stream stopped.
          if (s.run && !STREAM_ENDS[s.run.state] && !s.streaming) { s.ended = false; stream(s); }
          renderRun(s);
        }, function (e) {
          if (s !== sel || e.name === "AbortError") return;
          s.error = e.status === 404 ? "there is no run " + s.id + " on this server" : "cannot read the run: " + e.message;
          renderRun(s);
        }).then(function () {
          s.detailsBusy = false;
          if (s.detailsAgain && s === sel) { s.detailsAgain = false; loadDetails(s); }
        });
      }
      // ---- live events (Server-Sent Events over fetch, so that a token can be sent) -----------
      function sseParser(onMessage) {
        var buf = "", data = [], event = "", id = null, lastId = null;
        function line(l) {
          if (l === "") {
            if (id !== null) lastId = id;
            if (data.length) onMessage(event || "message", data.join("\n"), lastId);
            data = []; event = ""; id = null;
            return;
          }
          if (l.charAt(0) === ":") return;
          var colon = l.indexOf(":");
          var field = colon < 0 ? l : l.slice(0, colon);
          var value = colon < 0 ? "" : l.slice(colon + 1);
          if (value.charAt(0) === " ") value = value.slice(1);
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else if (field === "id" && value.indexOf("\u0000") < 0) id = value;
        }
        return function push(text) {
          buf += text;
          var start = 0, re = /\r\n|\r|\n/g, m;
          re.lastIndex = 0;
          while ((m = re.exec(buf)) !== null) {
            if (m[0] === "\r" && m.index === buf.length - 1) break;
            line(buf.slice(start, m.index));
            start = m.index + m[0].length;
          }
          buf = buf.slice(start);
        };
      }
      function live(s, id) {
        var n = s.live.get(id);
        if (!n) {
          n = { calls: 0, total: 0, max: 0, attempts: 0, iterations: 0, unit: "", done: false, failed: false, skipped: false, message: "" };
          s.live.set(id, n);
        }
        return n;
      }
      // Loops (iterations) and flows (cycles; their states' runs) have no completions of their own.
      function count(n, unit) { n.done = true; n.iterations += 1; n.unit = unit; }
      function counted(k, unit) { return k + " " + (k === 1 ? unit.replace(/s$/, "") : unit); }
      function onMessage(s, type, data) {
        var doc = null;
        try { doc = JSON.parse(data); } catch (e) { return; }
        if (!isObj(doc)) return;
        var node = typeof doc.node === "string" ? doc.node : null;
        if (type === "node" && node) {
          var n = live(s, node);
          n.calls += 1;
          n.done = true;
          var d = num(doc.duration_ms);
          if (d !== null) { n.total += d; if (d > n.max) n.max = d; }
          var a = num(doc.attempt);
          if (a !== null && a > n.attempts) n.attempts = a;
          if (n.message.indexOf("retrying: ") === 0) n.message = "";
        } else if (type === "run") {
          var ev = str(doc.event);
          if (ev === "node_failed" && node) { live(s, node).failed = true; live(s, node).message = str(doc.message); }
          else if (ev === "node_retry" && node) { live(s, node).failed = false; live(s, node).message = "retrying: " + str(doc.message); }
          else if (ev === "node_recovered" && node) { live(s, node).failed = false; live(s, node).done = true; live(s, node).message = "recovered (" + str(doc.how) + ")"; }
          else if (ev === "node_skipped" && node) live(s, node).skipped = true;
          else if ((ev === "node_restored" || ev === "cache_hit") && node) live(s, node).done = true;
          else if (ev === "flow_state" && typeof doc.state === "string") {
            count(live(s, doc.state), "runs");
            if (node) count(live(s, node), "cycles");
          }
          else if (ev === "loop_iteration" && node) count(live(s, node), "iter.");
          else if (ev === "wave_started") s.waves += 1;
        } else if (type === "end") {
          s.ended = true;
          if (s.run && typeof doc.state === "string") s.run.state = doc.state;
          loadDetails(s);
        }
      }
      function stream(s) {
        if (s.streaming || s !== sel) return;
        s.streaming = true;
        var delay = 500;
        function setLive(text, on) {
          s.liveText = text;
          var e = $("run-live");
          if (s === sel) { e.textContent = text; e.className = on ? "on" : ""; }
        }
        function attempt() {
          if (s !== sel || s.ended) { s.streaming = false; return; }
          var h = headers({ "Accept": "text/event-stream" });
          if (s.lastId) h["Last-Event-ID"] = s.lastId;
          setLive(s.lastId ? "reconnecting…" : "connecting…", false);
          fetch("/v1/runs/" + encodeURIComponent(s.id) + "/events", { headers: h, signal: s.abort.signal, cache: "no-store" })
            .then(function (res) {
              if (res.status === 401) { needToken(); throw new HTTPError(401, "a token is needed"); }
              if (res.status === 404) throw new HTTPError(404, "no such run");
              if (!res.ok || !res.body) throw new HTTPError(res.status, "HTTP " + res.status);
              setLive("● live", true);
              delay = 500;
              var reader = res.body.getReader();
              var decoder = new TextDecoder();
              var push = sseParser(function (type, data, id) {
                if (id !== null) s.lastId = id;
                if (s === sel) onMessage(s, type, data);
              });
              function pump() {
                return reader.read().then(function (r) {
                  if (s !== sel) { reader.cancel().catch(function () {}); return; }
                  if (r.done) { push(decoder.decode()); return; }
                  push(decoder.decode(r.value, { stream: true }));
                  updateLive(s);
                  return pump();
                });
              }
              return pump();
            })
            .then(function () {
              if (s !== sel) return;
              updateLive(s);
              if (s.ended) { s.streaming = false; setLive("events: ended", false); return; }
              setTimeout(attempt, delay);
            }, function (e) {
              if (s !== sel || (e && e.name === "AbortError")) { s.streaming = false; return; }
              if (e && (e.status === 401 || e.status === 404)) { s.streaming = false; setLive("events: " + e.message, false); return; }
              setLive("events: reconnecting in " + (delay / 1000) + " s", false);
              setTimeout(attempt, delay);
              delay = Math.min(delay * 2, 5000);
            });
        }
        attempt();
      }
      // ---- the graph: a layered drawing --------------------------------------------------------
      var NODE_H = 52, LAYER_GAP = 40, COL_GAP = 26, IO_H = 24, MARGIN = 16;
      function endpoint(text, byId) {
        var t = str(text);
        if (t.charAt(0) === "$") return { key: "i:" + t.slice(1), port: "" };
        var dot = t.indexOf(".");
        var id = dot < 0 ? t : t.slice(0, dot);
        if (!byId.has(id)) return null;
        return { key: "n:" + id, port: dot < 0 ? "" : t.slice(dot + 1) };
      }
      function layoutGraph(doc) {
        var items = [], byKey = new Map(), byId = new Map();
        function add(item) { if (byKey.has(item.key)) return byKey.get(item.key); item.index = items.length; items.push(item); byKey.set(item.key, item); return item; }
        var nodes = isObj(doc) && Array.isArray(doc.nodes) ? doc.nodes : [];
        nodes.forEach(function (n) {
          if (!isObj(n) || typeof n.id !== "string" || byId.has(n.id)) return;
          var item = add({ key: "n:" + n.id, kind: "node", id: n.id, type: str(n.type) || "?", label: str(n.label) });
          byId.set(n.id, item);
        });
        if (isObj(doc) && isObj(doc.inputs)) Object.keys(doc.inputs).forEach(function (name) { add({ key: "i:" + name, kind: "input", id: name }); });
        var edges = [];
        (isObj(doc) && Array.isArray(doc.edges) ? doc.edges : []).forEach(function (e) {
          if (!isObj(e)) return;
          var from = endpoint(e.from, byId), to = endpoint(e.to, byId);
          if (!from || !to || to.key.charAt(0) !== "n") return;
          if (from.key.charAt(0) === "i") add({ key: from.key, kind: "input", id: from.key.slice(2) });
          edges.push({ from: byKey.get(from.key), to: byKey.get(to.key), title: str(e.from) + " → " + str(e.to) + (e.when !== undefined ? " (when " + str(e.when) + ")" : ""), when: e.when !== undefined });
        });
        if (isObj(doc) && isObj(doc.outputs)) Object.keys(doc.outputs).forEach(function (name) {
          var src = endpoint(doc.outputs[name], byId);
          if (!src) return;
          var o = add({ key: "o:" + name, kind: "output", id: name });
          edges.push({ from: byKey.get(src.key), to: o, title: str(doc.outputs[name]) + " → output " + name, when: false });
        });
        // Back edges (loops' next_*/continue, flows' transitions, anything cyclic): found by a
        // depth-first search, kept out of the layering and drawn dashed.
        var out = items.map(function () { return []; });
        edges.forEach(function (e) { out[e.from.index].push(e); });
        var color = new Array(items.length).fill(0);
        items.forEach(function (root) {
          if (color[root.index]) return;
          var stack = [[root.index, 0]];
          color[root.index] = 1;
          while (stack.length) {
            var top = stack[stack.length - 1], list = out[top[0]];
            if (top[1] >= list.length) { color[top[0]] = 2; stack.pop(); continue; }
            var e = list[top[1]++], t = e.to.index;
            if (color[t] === 1) e.back = true;
            else if (color[t] === 0) { color[t] = 1; stack.push([t, 0]); }
          }
        });
        // Longest-path layers over the forward edges (Kahn's order: they form no cycle).
        var indeg = new Array(items.length).fill(0), preds = items.map(function () { return []; }), succs = items.map(function () { return []; });
        edges.forEach(function (e) {
          if (e.back || e.from === e.to) return;
          indeg[e.to.index] += 1;
          preds[e.to.index].push(e.from.index);
          succs[e.from.index].push(e.to.index);
        });
        var layer = new Array(items.length).fill(0), queue = [], qi = 0;
        items.forEach(function (it) { if (!indeg[it.index]) queue.push(it.index); });
        while (qi < queue.length) {
          var v = queue[qi++];
          succs[v].forEach(function (w) {
            if (layer[v] + 1 > layer[w]) layer[w] = layer[v] + 1;
            if (--indeg[w] === 0) queue.push(w);
          });
        }
        // Graph inputs sit just above their first reader; outputs at the bottom.
        var deepest = 0;
        items.forEach(function (it) { if (it.kind === "node") deepest = Math.max(deepest, layer[it.index]); });
        items.forEach(function (it) {
          if (it.kind === "input" && succs[it.index].length) layer[it.index] = Math.max(0, Math.min.apply(null, succs[it.index].map(function (w) { return layer[w]; })) - 1);
          if (it.kind === "output") layer[it.index] = Math.max(deepest + 1, layer[it.index]);
        });
        var used = {};
        items.forEach(function (it) { used[layer[it.index]] = true; });
        var layerIds = Object.keys(used).map(Number).sort(function (a, b) { return a - b; });
        var rank = {};
        layerIds.forEach(function (l, i) { rank[l] = i; });
        var layers = layerIds.map(function () { return []; });
        items.forEach(function (it) { it.layer = rank[layer[it.index]]; layers[it.layer].push(it); });
        // Order inside a layer: a few barycenter sweeps, down then up.
        var pos = new Array(items.length).fill(0);
        function number() { layers.forEach(function (l) { l.forEach(function (it, i) { pos[it.index] = i; }); }); }
        function sweep(l, neighbours) {
          l.forEach(function (it) {
            var ns = neighbours[it.index];
            it.bary = ns.length ? ns.reduce(function (a, w) { return a + pos[w]; }, 0) / ns.length : pos[it.index];
          });
          l.sort(function (a, b) { return a.bary - b.bary || a.index - b.index; });
          l.forEach(function (it, i) { pos[it.index] = i; });
        }
        number();
        if (items.length <= 3000) for (var round = 0; round < 4; round++) {
          for (var i = 1; i < layers.length; i++) sweep(layers[i], preds);
          for (var j = layers.length - 2; j >= 0; j--) sweep(layers[j], succs);
        }
        var longest = 6;
        items.forEach(function (it) { if (it.kind === "node") longest = Math.max(longest, it.id.length, it.type.length); });
        var nodeW = Math.max(110, Math.min(210, longest * 7 + 24));
        var widths = layers.map(function (l) {
          return l.reduce(function (a, it) { return a + (it.kind === "node" ? nodeW : ioWidth(it)); }, 0) + Math.max(0, l.length - 1) * COL_GAP;
        });
        var backs = edges.some(function (e) { return e.back || e.from === e.to; }) ? 90 : 0;
        var width = Math.max.apply(null, [200].concat(widths)) + 2 * MARGIN + backs;
        var y = MARGIN;
        layers.forEach(function (l, i) {
          var x = MARGIN + (width - 2 * MARGIN - backs - widths[i]) / 2;
          var h = l.some(function (it) { return it.kind === "node"; }) ? NODE_H : IO_H;
          l.forEach(function (it) {
            it.w = it.kind === "node" ? nodeW : ioWidth(it);
            it.h = it.kind === "node" ? NODE_H : IO_H;
            it.x = x;
            it.y = y + (h - it.h) / 2;
            x += it.w + COL_GAP;
          });
          y += h + LAYER_GAP;
        });
        return { items: items, edges: edges, width: width, height: y - LAYER_GAP + MARGIN, nodeW: nodeW, byId: byId };
      }
      function ioLabel(it) { return it.kind === "input" ? "$" + it.id : "out: " + it.id; }
      function ioWidth(it) { return Math.max(44, Math.min(190, ioLabel(it).length * 6.6 + 22)); }
      function clip(text, px, charPx) {
        var n = Math.max(3, Math.floor(px / charPx));
        return text.length > n ? text.slice(0, n - 1) + "…" : text;
      }
      function drawGraph(view) {
        var w = view.width, h = view.height;
        var root = sv("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": "the run's graph" });
        var defs = sv("defs", null,
          sv("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
            sv("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#94a3b8" })),
          sv("marker", { id: "arrow-back", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
            sv("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#a78bfa" })));
        root.appendChild(defs);
        var edgeGroup = sv("g", { "class": "edges" });
        view.edges.forEach(function (e) {
          var a = e.from, b = e.to, d, cls = "edge";
          if (e.from === e.to || e.back || b.layer <= a.layer) {
            // Around the right-hand side, from the source's side to the target's.
            var x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x + b.w, y2 = b.y + b.h / 2;
            var bulge = 30 + Math.min(60, Math.abs(y2 - y1) / 6);
            d = "M " + x1 + " " + y1 + " C " + (Math.max(x1, x2) + bulge) + " " + y1 + ", " + (Math.max(x1, x2) + bulge) + " " + y2 + ", " + (x2 + 2) + " " + y2;
            cls += " back";
          } else {
            var sx = a.x + a.w / 2, sy = a.y + a.h, tx = b.x + b.w / 2, ty = b.y - 2;
            var dy = Math.max(20, (ty - sy) / 2);
            d = "M " + sx + " " + sy + " C " + sx + " " + (sy + dy) + ", " + tx + " " + (ty - dy) + ", " + tx + " " + ty;
          }
          if (e.when) cls += " when";
          edgeGroup.appendChild(sv("path", { "class": cls, d: d, "marker-end": cls.indexOf("back") >= 0 ? "url(#arrow-back)" : "url(#arrow)" }, sv("title", null, e.title)));
        });
        root.appendChild(edgeGroup);
        var nodeGroup = sv("g", { "class": "nodes" });
        view.groups = new Map();
        view.items.forEach(function (it) {
          var g;
          if (it.kind === "node") {
            var rect = sv("rect", { width: it.w, height: it.h, rx: 6, ry: 6 });
            var title = sv("title", null, it.id + " (" + it.type + ")" + (it.label ? " — " + it.label : ""));
            var idText = sv("text", { "class": "id", x: 9, y: 17 }, clip(it.id, it.w - 18, 7.2));
            var typeText = sv("text", { "class": "type", x: 9, y: 31 }, clip(it.label || it.type, it.w - 18, 6.2));
            var stat = sv("text", { "class": "stat", x: 9, y: 45 }, "");
            g = sv("g", { "class": "node", "data-node": it.id, "data-state": "pending", transform: "translate(" + it.x + "," + it.y + ")" }, title, rect, idText, typeText, stat);
            view.groups.set(it.id, { g: g, stat: stat, title: title, item: it });
          } else {
            var label = ioLabel(it);
            g = sv("g", { "class": "io " + it.kind, transform: "translate(" + it.x + "," + it.y + ")" },
              sv("title", null, (it.kind === "input" ? "graph input " : "graph output ") + it.id),
              sv("rect", { width: it.w, height: it.h, rx: it.h / 2, ry: it.h / 2 }),
              sv("text", { x: it.w / 2, y: it.h / 2 + 4, "text-anchor": "middle" }, clip(label, it.w - 14, 6.6)));
            g.setAttribute(it.kind === "input" ? "data-input" : "data-output", it.id);
          }
          nodeGroup.appendChild(g);
        });
        root.appendChild(nodeGroup);
        return root;
      }
      // ---- node states and timing ------------------------------------------------------------------
      function liveState(n) {
        if (!n) return "pending";
        if (n.failed) return "failed";
        if (n.done || n.calls > 0) return "completed";
        if (n.skipped) return "skipped";
        return "pending";
      }
      // The drawn node an event's node id belongs to: itself, or the node whose id is a prefix
      // (the nodes of a subgraph are named "sub.inner").
      function drawnOwner(view, id) {
        if (!view) return null;
        if (view.byId.has(id)) return id;
        for (var i = id.lastIndexOf("."); i > 0; i = id.lastIndexOf(".", i - 1)) {
          var p = id.slice(0, i);
          if (view.byId.has(p)) return p;
        }
        return null;
      }
      function combined(s) {
        // Per node id: the live counts, or the server's table when it has seen more calls.
        var rows = new Map();
        var table = s.run && Array.isArray(s.run.nodes) ? s.run.nodes : [];
        table.forEach(function (t) {
          if (!isObj(t) || typeof t.node !== "string") return;
          rows.set(t.node, { calls: num(t.calls) || 0, total: num(t.total_ms), max: num(t.max_ms), attempts: num(t.attempts) });
        });
        var out = new Map();
        var ids = new Set(Array.from(rows.keys()).concat(Array.from(s.live.keys())));
        ids.forEach(function (id) {
          var t = rows.get(id), n = s.live.get(id);
          var useTable = t && (!n || t.calls >= n.calls);
          var state = liveState(n);
          if (state === "pending" && t && t.calls > 0) state = "completed";
          out.set(id, {
            state: state,
            calls: useTable ? t.calls : n.calls,
            total: useTable ? t.total : n.total,
            max: useTable ? t.max : n.max,
            attempts: useTable ? t.attempts : (n.attempts || null),
            iterations: n ? n.iterations : 0,
            unit: n ? n.unit : "",
            message: n ? n.message : ""
          });
        });
        if (s.run && typeof s.run.error_node === "string" && s.run.state === "failed") {
          var f = out.get(s.run.error_node) || { calls: 0, total: null, max: null, attempts: null, iterations: 0, message: "" };
          f.state = "failed";
          if (!f.message) f.message = str(s.run.error);
          out.set(s.run.error_node, f);
        }
        return out;
      }
      function aggregate(states) {
        if (states.indexOf("failed") >= 0) return "failed";
        if (states.indexOf("completed") >= 0) return "completed";
        if (states.indexOf("skipped") >= 0) return "skipped";
        return "pending";
      }
      function updateLive(s) {
        if (s !== sel) return;
        var data = combined(s);
        var view = s.view;
        var perDrawn = new Map();
        data.forEach(function (d, id) {
          var owner = drawnOwner(view, id);
          if (owner === null) return;
          if (!perDrawn.has(owner)) perDrawn.set(owner, []);
          perDrawn.get(owner).push(d);
        });
        if (view && view.groups) view.groups.forEach(function (grp, id) {
          var ds = perDrawn.get(id) || [];
          var state = aggregate(ds.map(function (d) { return d.state; }));
          grp.g.setAttribute("data-state", state);
          var calls = 0, total = 0, own = data.get(id), iterations = own ? own.iterations : 0;
          ds.forEach(function (d) { calls += d.calls || 0; total += d.total || 0; });
          grp.stat.textContent = iterations && !calls ? counted(iterations, own.unit)
            : calls ? (calls > 1 ? "×" + calls + " · " : "") + fmtMs(total) + " ms" : (state === "pending" ? "" : state);
          var it = grp.item;
          var msg = ds.map(function (d) { return d.message; }).filter(Boolean).join("; ");
          grp.title.textContent = it.id + " (" + it.type + ")" + (it.label ? " — " + it.label : "") + "\n" + state + (calls ? ", " + calls + " call" + (calls === 1 ? "" : "s") + ", " + fmtMs(total) + " ms" : "") + (msg ? "\n" + msg : "");
        });
        renderTiming(s, data);
      }
      function renderTiming(s, data) {
        var view = s.view;
        var order = [], seen = new Set();
        function push(id) { if (!seen.has(id)) { seen.add(id); order.push(id); } }
        var rest = Array.from(data.keys()).sort();
        if (view) {
          var drawn = view.items.filter(function (it) { return it.kind === "node"; }).slice().sort(function (a, b) { return a.layer - b.layer || a.x - b.x; });
          drawn.forEach(function (it) {
            push(it.id);
            rest.forEach(function (id) { if (id.indexOf(it.id + ".") === 0) push(id); });
          });
        }
        rest.forEach(push);
        var rows = [];
        order.forEach(function (id) {
          var d = data.get(id) || { state: "pending", calls: 0, total: null, max: null, attempts: null, iterations: 0, message: "" };
          var item = view && view.byId.get(id);
          var state = d.state;
          if (item && view.groups && view.groups.has(id)) state = view.groups.get(id).g.getAttribute("data-state");
          rows.push(el("tr", { "data-node": id, "data-state": state },
            el("td", null, id), el("td", { "class": "muted" }, item ? item.type : ""), el("td", null, stateBadge(state)),
            el("td", { "class": "num" }, d.calls ? String(d.calls) : d.iterations ? counted(d.iterations, d.unit) : "—"),
            el("td", { "class": "num" }, d.calls ? fmtMs(d.total) : "—"),
            el("td", { "class": "num" }, d.calls ? fmtMs(d.max) : "—"),
            el("td", { "class": "num" }, d.attempts ? String(d.attempts) : "—")));
          if (d.message) rows.push(el("tr", { "class": "msg-row" }, el("td", { colspan: "7", "class": state === "failed" ? "msg err" : "msg" }, d.message)));
        });
        if (!rows.length) rows.push(el("tr", null, el("td", { colspan: "7", "class": "muted" }, "no nodes yet")));
        var body = $("timing-body");
        body.replaceChildren.apply(body, rows);
      }
      function fact(name, value, title) {
        return el("div", null, el("dt", null, name), el("dd", { title: title || (typeof value === "string" ? value : null) }, value));
      }
      function renderRun(s) {
        if (s !== sel) return;
        var r = s.run || {};
        $("run-title").textContent = "Run " + s.id;
        var state = str(r.state) || (s.error ? "unknown" : "loading");
        var badge = $("run-state");
        badge.textContent = state;
        badge.className = "badge s-" + state.replace(/[^a-z]/g, "");
        $("run-live").textContent = s.liveText;
        Array.prototype.forEach.call($("run-actions").querySelectorAll("button"), function (b) {
          var a = b.getAttribute("data-action");
          var ok = a === "pause" ? (state === "queued" || state === "running")
            : a === "resume" ? (state === "paused" || state === "failed" || state === "cancelled" || state === "interrupted")
            : (state === "queued" || state === "running" || state === "paused" || state === "interrupted");
          b.disabled = !ok || !s.run;
        });
        var started = num(r.started_at), finished = num(r.finished_at);
        var tags = Array.isArray(r.tags) ? r.tags.map(function (t) { return el("span", { "class": "tag" }, str(t)); }) : [];
        var facts = [
          fact("mode", str(r.mode) || "—"),
          fact("graph", str(r.graph_id).slice(0, 16) || "—", str(r.graph_id)),
          fact("created", fmtTime(r.created_at)),
          fact("started", fmtTime(r.started_at)),
          fact("finished", fmtTime(r.finished_at)),
          fact("duration", started !== null && finished !== null ? fmtDuration(finished - started) : (started !== null && state === "running" ? "running" : "—")),
          fact("steps", r.steps === null || r.steps === undefined ? "—" : str(r.steps)),
          fact("attempts", str(r.attempts) || "—"),
          fact("resumes", str(r.resumes) || "—"),
          fact("priority", str(r.priority) || "—"),
          fact("worker", str(r.worker) || "—"),
          el("div", null, el("dt", null, "tags"), build(document, null, "dd", null, tags.length ? tags : ["—"]))
        ];
        if (s.waves) facts.push(fact("waves", String(s.waves)));
        var f = $("run-facts");
        f.replaceChildren.apply(f, facts);
        var err = s.error || (r.error ? str(r.error) + (r.error_node ? "\n(node " + str(r.error_node) + ")" : "") : "");
        $("run-error").textContent = err;
        $("run-error").hidden = !err;
        $("run-inputs").textContent = s.run ? json(r.inputs) : "";
        $("run-outputs").textContent = s.run ? (r.outputs === null || r.outputs === undefined ? "—" : json(r.outputs)) : "";
        var box = $("graph");
        if (s.graph && !s.view) {
          try {
            s.view = layoutGraph(s.graph);
            box.replaceChildren(s.view.items.length ? drawGraph(s.view) : el("div", { "class": "note" }, "the graph has no nodes"));
            $("graph-note").textContent = s.view.byId.size + " node" + (s.view.byId.size === 1 ? "" : "s") + ", " + s.view.edges.length + " edge" + (s.view.edges.length === 1 ? "" : "s");
          } catch (e) {
            s.view = { items: [], edges: [], byId: new Map(), groups: new Map() };
            box.replaceChildren(el("div", { "class": "note" }, "cannot draw the graph: " + str(e && e.message)));
          }
        } else if (!s.graph) {
          box.replaceChildren(el("div", { "class": "note" }, s.graphError || (s.error ? "—" : "loading…")));
          $("graph-note").textContent = "";
        }
        updateLive(s);
      }
      Array.prototype.forEach.call($("run-actions").querySelectorAll("button"), function (b) {
        b.addEventListener("click", function () {
          var s = sel;
          if (!s) return;
          var action = b.getAttribute("data-action");
          api("/v1/runs/" + encodeURIComponent(s.id) + "/" + action, { method: "POST" }).then(function () {
            setStatus(action + ": requested for run " + s.id);
          }, function (e) {
            if (e.status !== 401) setStatus(action + " run " + s.id + ": " + e.message);
          }).then(function () { loadDetails(s); refreshRuns(); });
        });
      });
      window.addEventListener("hashchange", function () { select(hashRun(), false); });
      select(hashRun(), false);
      runsLoop();
    })();
    </script>
    </body>
    </html>
    """#
}
