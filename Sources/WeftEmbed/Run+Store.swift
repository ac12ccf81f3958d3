// A run recorded in a run store (weft.h: `store_path`, `resume_run_id`,
// weft_run_id, weft_run_pause). The recording itself is `RecordedRun`, the
// same as `weft run --store`; this file maps its settings and errors to
// the C API's.

import CWeft
import WeftCore
import WeftScheduler
import WeftStore

/// The run store a run is recorded in (`store_path`, opened by
/// `weft_run_create`), the stored run it continues (`resume_run_id`), and
/// the graph document the record keeps.
struct RunStoreOptions {
    let store: RunStore
    /// nil: a new run.
    let resume: Int64?
    let graphText: String
    let graphFile: String?

    /// The options' store fields: nil when `store_path` is NULL (the run is
    /// not recorded). Opens the store (making it, and its folder, if need be).
    static func from(path: UnsafePointer<CChar>?, resume: Int64, graph: Graph, _ fn: String) throws(APIError) -> RunStoreOptions? {
        guard resume >= 0 else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): options.resume_run_id is \(resume); give 0 (a new run) or the id of a stored run")
        }
        guard let path else {
            guard resume == 0 else {
                throw APIError(WEFT_ERR_INVALID, "\(fn): options.resume_run_id is \(resume) but options.store_path is NULL; "
                                   + "set store_path to the run store the run was recorded in")
            }
            return nil
        }
        let file = try Arg.string(path, "options.store_path", fn)
        guard !file.isEmpty else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): options.store_path is empty; give the run store's file, or NULL for a run not recorded")
        }
        let store: RunStore
        do throws(StoreError) {
            store = try RunStore(path: file)
        } catch {
            throw APIError(WEFT_ERR_FAILED, "\(fn): options.store_path: \(message(error))")
        }
        return RunStoreOptions(store: store, resume: resume == 0 ? nil : resume, graphText: graph.text, graphFile: graph.file)
    }

    /// Begins the run's record (a new row, or `resume`'s again) with the
    /// inputs it runs with. A resume that cannot be is refused:
    /// WEFT_ERR_NOT_FOUND (no such run), WEFT_ERR_INVALID (another graph,
    /// other inputs), WEFT_ERR_STATE (not resumable: running, succeeded).
    func begin(inputs: [String: WeftValue], mode: RunMode, checkpointing: Bool, _ fn: String) throws(APIError) -> RecordedRun {
        // (A stored run's inputs are checked here; the rest in RecordedRun,
        // whose message comes first when both are wrong.)
        if let id = resume, let old = try? store.run(id), old.isResumable, old.graphHash == RunStore.hash(graphText),
           !old.startedWith(inputs) {
            let given = JSON.encode(.object(inputs.sorted { $0.key < $1.key }))
            throw APIError(WEFT_ERR_INVALID, "\(fn): run \(id) started with the inputs \(old.inputs), not \(given): a resumed run "
                               + "goes on with the inputs it started with (its restored nodes were computed from them); set those")
        }
        do throws(StoreError) {
            return try RecordedRun(store: store, graphText: graphText, graphPath: graphFile, inputs: inputs, mode: mode.rawValue,
                                   startedBy: .object([("host", .string("libweft"))]), resume: resume, checkpointing: checkpointing)
        } catch {
            throw APIError(resume.map { refusal(of: $0) } ?? WEFT_ERR_FAILED, "\(fn): \(Self.message(error))")
        }
    }

    /// The status of a refused resume of run `id`, from the stored run (in
    /// RecordedRun's order: the graph, then the state).
    private func refusal(of id: Int64) -> Int32 {
        let old: StoredRun?
        do throws(StoreError) {
            old = try store.run(id)
        } catch {
            return WEFT_ERR_FAILED
        }
        guard let old else { return WEFT_ERR_NOT_FOUND }
        if old.graphHash != RunStore.hash(graphText) { return WEFT_ERR_INVALID }
        return old.isResumable ? WEFT_ERR_FAILED : WEFT_ERR_STATE
    }

    /// A store error for a C host: the store's messages name the CLI's
    /// `--store` where the host has `store_path`.
    static func message(_ error: StoreError) -> String {
        error.message.replacing("give another --store", with: "give another store_path")
    }
}

extension Run {
    /// `weft_run_error` of a paused run, and its RUN_FINISHED event's message.
    static func pausedMessage(_ id: Int64) -> String {
        "the run was paused; a run created with resume_run_id = \(id) (and the same store_path) continues it"
    }

    /// Asks the running run to pause, through its store (the recording's
    /// watcher sees it within 0.1 s and cancels the run; it then ends
    /// paused). A finished run is not changed.
    func pause(_ fn: String) throws(APIError) {
        guard storeOptions != nil else {
            throw APIError(WEFT_ERR_STATE, "\(fn): the run is not recorded in a run store, so it cannot be paused (a paused run "
                               + "goes on from the store); set store_path in weft_run_options_t, or stop it with weft_run_cancel")
        }
        let (phase, recording) = progress
        switch phase {
        case .pending:
            throw APIError(WEFT_ERR_STATE, "\(fn): the run was not started; pause it after weft_run_start (or cancel it now with weft_run_cancel)")
        case .finished:
            return
        case .running:
            guard let recording else { return }
            do throws(StoreError) {
                // (False when the run's row left `running`: it has just ended.)
                _ = try recording.store.request(recording.id, "pause")
            } catch {
                throw APIError(WEFT_ERR_FAILED, "\(fn): the run store: \(RunStoreOptions.message(error))")
            }
        }
    }
}
