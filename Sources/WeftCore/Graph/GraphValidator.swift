/// Checks a `GraphDocument` against the node types of a catalog and builds a
/// `GraphPlan`. Reports every problem at once, each with its JSON path, the
/// node, and a fix.
///
/// ```swift
/// let doc = try GraphDecoder.decode(text: text)
/// let plan = try GraphValidator.validate(doc, catalog: registry)
/// ```
public enum GraphValidator {
    /// Validates `doc`. Given a document no one else holds (a temporary,
    /// or `consume doc`), it lets go of the document's nodes and edges as
    /// soon as the plan has its own: a big graph does not hold both.
    ///
    /// A document from `GraphDecoder.decodePartial` may carry the decoder's
    /// problems: they are reported first, and the rest of the graph is
    /// checked too, except what follows from them (an input fed by an edge
    /// from an unknown node is not also "not connected").
    /// `subgraphs`: where the files of subgraph nodes (`"type": "graph"`)
    /// come from (nil: only inline subgraphs); `file`: the graph's own file,
    /// if it is one (its folder is where relative subgraph paths start).
    public static func validate(_ doc: consuming GraphDocument, catalog: any NodeCatalog,
                                subgraphs: SubgraphLoader? = nil, file: String? = nil) throws(GraphError) -> GraphPlan {
        var doc = doc
        let inlined = Subgraphs.expand(&doc, catalog: catalog, loader: subgraphs, file: file, stack: file.map { [$0] } ?? [])
        doc.diagnostics += inlined
        var v = Validation(doc: doc, catalog: catalog)
        let plan = v.run()
        // (A subgraph's warnings come from its own validation and again
        // from the whole graph's: once each.)
        var seen = Set<Diagnostic>()
        let diagnostics = v.diagnostics.filter { seen.insert($0).inserted }
        guard var plan, !diagnostics.contains(where: { $0.severity == .error }) else {
            throw GraphError(diagnostics)
        }
        var once = Set<Diagnostic>()
        plan.warnings = plan.warnings.filter { once.insert($0).inserted }
        return plan
    }

    /// Decodes and validates graph text in one step, reporting the
    /// decoder's problems and the validator's together.
    public static func load(text: String, catalog: any NodeCatalog, subgraphs: SubgraphLoader? = nil)
        throws(GraphError) -> GraphPlan {
        try validate(try GraphDecoder.decodePartial(text: text), catalog: catalog, subgraphs: subgraphs)
    }

    /// Decodes and validates a graph file's bytes (UTF-8) in one step,
    /// without a `String` copy of the whole file.
    public static func load(bytes: [UInt8], catalog: any NodeCatalog) throws(GraphError) -> GraphPlan {
        try validate(try GraphDecoder.decodePartial(bytes: bytes), catalog: catalog)
    }
}

/// One validation: the document being checked, the catalog, and the problems found so far.
/// Its checks are in GraphValidator+Run.swift, +Nodes.swift and +Cycles.swift.
struct Validation {
    var doc: GraphDocument
    let catalog: any NodeCatalog
    var diagnostics: [Diagnostic] = []
    /// The catalog's answer for the last node type looked up.
    var lastSpec: (type: String, box: SpecBox)?
    /// The last node type whose `parameterizedSpec` was nil.
    var lastPlainType: String?

    init(doc: consuming GraphDocument, catalog: any NodeCatalog) {
        self.doc = doc
        self.catalog = catalog
        diagnostics = self.doc.diagnostics
        self.doc.diagnostics = []
    }

    mutating func error(_ path: String, node: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(.error, path: path, node: node, message))
    }

    mutating func warning(_ path: String, node: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(.warning, path: path, node: node, message))
    }

    /// "; did you mean 'x'?" for a near name, else the short list of names.
    func hint(_ name: String, among names: [String], listing noun: String = "it has") -> String {
        if let best = EditDistance.closest(to: name, among: names, limit: 1).first { return "; did you mean '\(best)'?" }
        return names.isEmpty || names.count > 8 ? "" : "; \(noun): \(names.joined(separator: ", "))"
    }

    /// Whether an edge from a port of type `from` into a port of type `to`
    /// can ever carry a value the target accepts.
    static func compatible(_ from: ValueType, _ to: ValueType) -> Bool {
        if from == .any || to == .any { return true }
        if from == .number { return to == .number || to == .int || to == .double }
        return to.accepts(kind: from)
    }
}
