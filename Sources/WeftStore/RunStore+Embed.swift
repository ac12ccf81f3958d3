public import WeftCore

// What the C API (WeftEmbed) needs of the store beyond `RecordedRun`: a
// host gives a resumed run's inputs again (`weft runs resume` repeats the
// command line instead), so they are checked against the stored ones.

extension StoredRun {
    /// Whether `inputs` are the ones the run started with, as `RunStore.begin`
    /// kept them (the inputs given, not the defaults). A run whose stored
    /// inputs cannot be read is taken to match (nothing to compare).
    public func startedWith(_ inputs: [String: WeftValue]) -> Bool {
        guard let kept = try? JSON.parse(self.inputs) else { return true }
        return kept == .object(inputs.sorted { $0.key < $1.key })
    }
}
