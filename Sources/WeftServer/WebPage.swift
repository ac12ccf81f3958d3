/// The live web view served at `/` (Docs/server.md): one page of plain
/// HTML and JavaScript that reads the API — the runs list, a run's graph
/// drawn with its nodes' states updated live from the run's events, and
/// per-node timing.
enum WebPage {
    static let html = #"""
    <!doctype html>
    <html><head><meta charset="utf-8"><title>Weft</title></head>
    <body><h1>Weft</h1><p>The web view is not built yet.</p></body></html>
    """#
}
