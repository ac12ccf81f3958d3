/// What a failed item of a mapped node does (`"on_item_error"`).
public enum ItemErrorPolicy: String, Sendable, CaseIterable {
    /// The node fails with the first failed item's message (the default).
    case fail
    /// Failed items are left out of the output lists.
    case skip
    /// Failed items give null in the output lists, and the added output
    /// `errors` lists, item by item, null or the item's error (a map:
    /// item, message).
    case collect
}

/// A mapped node (`"map"`) as the plan holds it: the node runs once per
/// item of its mapped input lists (zipped), and each of its outputs is the
/// list of the items' values, in item order.
public struct PlanMap: Sendable, Equatable {
    /// The mapped input ports (indices), zipped item by item.
    public var ports: [Int]
    /// How many items run at once (1: one after another, in order).
    public var concurrency: Int
    public var onItemError: ItemErrorPolicy
    /// Outputs of one call (the node type's own); with `collect` the
    /// node has one more, `errors`, after them.
    public var itemOutputs: Int

    /// The output `collect` adds.
    public static let errorsPort = "errors"
    /// The most items run at once.
    public static let maxConcurrency = 1_024
}
