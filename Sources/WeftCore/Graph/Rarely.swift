/// The fields of a struct that most of its values leave at their defaults,
/// kept in one box made when one of them is set and copied on write: a
/// graph may have a million nodes, and fields nobody sets should cost them
/// one pointer, not their size.
struct Rarely<Fields: Sendable>: @unchecked Sendable {
    /// Never changed once shared: `update` copies it first.
    private final class Box {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box?

    init() {}

    /// `fields` boxed, or no box at all when `isDefault`.
    init(_ fields: Fields, isDefault: Bool) {
        if !isDefault { box = Box(fields) }
    }

    /// A field, or nil when nothing was set (the caller's default applies).
    subscript<Value>(_ field: KeyPath<Fields, Value>) -> Value? {
        box?.fields[keyPath: field]
    }

    /// Changes fields through `change`, making the box from `defaults()` or
    /// copying a shared one first. Without a box, a change to a default
    /// value (`isDefault`) does nothing.
    mutating func update(isDefault: Bool, defaults: () -> Fields, _ change: (inout Fields) -> Void) {
        if box == nil {
            if isDefault { return }
            box = Box(defaults())
        } else if !isKnownUniquelyReferenced(&box) {
            box = Box(box!.fields)
        }
        change(&box!.fields)
    }
}
