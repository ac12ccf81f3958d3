import OrderedCollections

extension PortSpec {
    /// `{"name", "type", "optional", "default"?, "summary"}`.
    public var jsonValue: WeftValue {
        var m: OrderedDictionary<String, WeftValue> = [
            "name": .string(name), "type": .string(type.description), "optional": .bool(optional),
        ]
        if let defaultValue { m["default"] = defaultValue }
        m["summary"] = .string(summary)
        return .map(m)
    }
}

extension NodeSpec {
    /// The node as JSON, as `weft plugins --json` prints it.
    public var jsonValue: WeftValue {
        .map([
            "name": .string(fullName),
            "plugin": .string(namespace),
            "summary": .string(summary),
            "flags": .list(flags.names.map { .string($0) }),
            "inputs": .list(inputs.map(\.jsonValue)),
            "outputs": .list(outputs.map(\.jsonValue)),
            "params": .list(params.map(\.jsonValue)),
        ])
    }
}
