/// A list that keeps zero or one element inline and more in an array: a
/// graph node's constants, where most nodes have none or one and a graph
/// may have a million nodes (an array of one costs a heap block of 64–80
/// bytes; inline, the element's own size).
enum SmallList<Element> {
    case none
    case one(Element)
    case many([Element])

    init(_ elements: [Element]) {
        switch elements.count {
        case 0: self = .none
        case 1: self = .one(elements[0])
        default: self = .many(elements)
        }
    }

    var array: [Element] {
        switch self {
        case .none: []
        case .one(let e): [e]
        case .many(let a): a
        }
    }

    var isEmpty: Bool {
        if case .none = self { return true }
        return false
    }

    /// Calls `body` with each element, in order, without making an array.
    @inline(__always)
    func forEach(_ body: (Element) throws -> Void) rethrows {
        switch self {
        case .none: break
        case .one(let e): try body(e)
        case .many(let a): for e in a { try body(e) }
        }
    }
}

extension SmallList: Sendable where Element: Sendable {}
