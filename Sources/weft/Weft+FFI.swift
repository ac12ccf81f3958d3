import ArgumentParser
import WeftCore
import WeftNative

extension Weft {
    struct FFI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ffi",
            abstract: "Call one C function from the command line and print the result.",
            discussion: """
                Uses the same libffi binder as ffi nodes in graphs. Arguments follow the signature's \
                input parameters in order: numbers and booleans as written, strings as given, bytes \
                as the argument's UTF-8 bytes. Out-parameters are printed after the result. The \
                library named here is allowed explicitly (you typed it).

                Examples:
                  weft ffi libm.so.6 hypot 'double hypot(double x, double y)' 3 4
                  weft ffi libc.so.6 strlen 'size_t strlen(const char *s)' hello
                """)

        @Argument(help: ArgumentHelp("A soname (libm.so.6) or path.", valueName: "library"))
        var library: String

        @Argument(help: ArgumentHelp("The function's symbol.", valueName: "symbol"))
        var symbol: String

        @Argument(help: ArgumentHelp("Its C declaration, quoted: 'double hypot(double x, double y)'.", valueName: "signature"))
        var signature: String

        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("One value per input parameter.", valueName: "args"))
        var args: [String] = []

        @Option(help: ArgumentHelp("Symbol that frees a returned string (the string is owned).", valueName: "symbol"))
        var free: String?

        @Flag(help: "Print {\"result\": …, out-parameter: …} as JSON.")
        var json = false

        func run() throws {
            let registry = NodeRegistry()
            registry.libraryPolicy = LibraryPolicy(allowed: [library])
            var params: [String: WeftValue] = ["library": .string(library), "symbol": .string(symbol),
                                               "signature": .string(signature)]
            if let free { params["free"] = .string(free) }
            let type: NodeType
            switch registry.nodeType(FFINodes.typeName, params: params) {
            case .success(let t): type = t
            case .failure(let e):
                Stderr.write("error: \(e.message)")
                throw ExitCode(2)
            }
            let ports = type.spec.inputs
            guard args.count == ports.count else {
                Stderr.write("error: \(symbol) takes \(ports.count) argument\(ports.count == 1 ? "" : "s") "
                                 + "(\(ports.map { "\($0.name): \($0.type)" }.joined(separator: ", "))), got \(args.count)")
                throw ExitCode(2)
            }
            var inputs: [WeftValue?] = []
            for (port, text) in zip(ports, args) {
                switch port.type {
                case .string: inputs.append(.string(text))
                case .bytes: inputs.append(.bytes(Array(text.utf8)))
                default:
                    guard let v = try? JSON.parse(text), let c = port.type.coerce(v) else {
                        Stderr.write("error: argument '\(port.name)' must be \(port.type), got '\(text)'")
                        throw ExitCode(2)
                    }
                    inputs.append(c)
                }
            }
            let instance: NodeInstance
            do {
                instance = try NodeInstance(type: type, nodeId: symbol, params: params)
            } catch {
                Stderr.write("error: \(error)")
                throw ExitCode(2)
            }
            switch instance.run(inputs: inputs) {
            case .success(let out):
                let pairs = zip(type.spec.outputs, out.values).compactMap { p, v in v.map { (p.name, $0) } }
                if json {
                    print(JSON.encode(.object(pairs)))
                } else if pairs.isEmpty {
                    print("(void)")
                } else {
                    for (name, v) in pairs { print(pairs.count == 1 ? "\(v)" : "\(name) = \(v)") }
                }
            case .failure(let e):
                Stderr.write("error: \(e.message)")
                throw ExitCode(1)
            }
        }
    }
}
