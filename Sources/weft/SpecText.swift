import WeftCore

/// Human-readable listings of node specs.
enum SpecText {
    static func render(_ specs: [NodeSpec]) -> String {
        var out = ""
        for spec in specs {
            out += spec.fullName
            out += "  \(spec.summary)"
            if !spec.flags.names.isEmpty { out += "  [\(spec.flags.names.joined(separator: ", "))]" }
            out += "\n"
            section("in", spec.inputs, into: &out)
            section("out", spec.outputs, into: &out)
            section("param", spec.params, into: &out)
        }
        return out
    }

    private static func section(_ title: String, _ ports: [PortSpec], into out: inout String) {
        for (i, p) in ports.enumerated() {
            let head = (i == 0 ? title : "").padding(5)
            var sig = "\(p.name): \(p.type)"
            if let d = p.defaultValue { sig += " = \(JSON.encode(d))" } else if p.optional { sig += "?" }
            out += "    \(head) \(sig.padding(28))"
            if !p.summary.isEmpty { out += " \(p.summary)" }
            out += "\n"
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
