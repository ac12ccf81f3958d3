import WeftCore

/// The graph decoder and validator on arbitrary bytes: they may throw,
/// never crash, trap or hang.
struct Catalog: NodeCatalog {
    static let int = ValueType.int
    let specs: [String: NodeSpec] = {
        func spec(_ ns: String, _ name: String, _ inputs: [PortSpec], _ outputs: [PortSpec], _ params: [PortSpec] = []) -> NodeSpec {
            NodeSpec(namespace: ns, name: name, summary: "", inputs: inputs, outputs: outputs, params: params)
        }
        let ab = [PortSpec(name: "a", type: .number), PortSpec(name: "b", type: .number, defaultValue: .int(1))]
        let list: [NodeSpec] = [
            spec("std", "add", ab, [PortSpec(name: "result", type: .number)]),
            spec("std", "lt", ab, [PortSpec(name: "result", type: .bool)]),
            spec("std", "const", [], [PortSpec(name: "value", type: .any)], [PortSpec(name: "value", type: .any)]),
            spec("std", "branch", [PortSpec(name: "cond", type: .bool), PortSpec(name: "value", type: .any, optional: true)],
                 [PortSpec(name: "true", type: .any, optional: true), PortSpec(name: "false", type: .any, optional: true)]),
            spec("std", "concat", [PortSpec(name: "a", type: .string), PortSpec(name: "b", type: .string)],
                 [PortSpec(name: "result", type: .string)]),
            spec("io", "print", [PortSpec(name: "value", type: .any)], [], [PortSpec(name: "stream", type: .string, defaultValue: "stdout")]),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.fullName, $0) })
    }()

    func spec(named fullName: String) -> NodeSpec? { specs[fullName] }
    func suggestions(for name: String) -> [String] { Array(specs.keys.filter { $0.hasPrefix(String(name.prefix(3))) }.prefix(3)) }
}

let catalog = Catalog()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? GraphValidator.load(text: text, catalog: catalog)
    return 0
}
