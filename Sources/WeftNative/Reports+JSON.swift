import WeftCore

extension LoadedPlugin {
    /// `{"name", "version", "summary", "abi_version", "path"}`.
    public var jsonValue: WeftValue {
        [
            "name": .string(name), "version": .string(version), "summary": .string(summary),
            "abi_version": .int(Int64(abiVersion)), "path": .string(path),
        ]
    }
}

extension PluginLoadError {
    /// `{"path", "kind", "message"}`.
    public var jsonValue: WeftValue {
        ["path": .string(path), "kind": .string(kind.rawValue), "message": .string(message)]
    }
}
