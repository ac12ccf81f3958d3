// NodeID: what a valid node id is.

/// Node ids: `[A-Za-z_][A-Za-z0-9_-]*`.
public enum NodeID {
    public static func isValid(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
            let digit = b >= 48 && b <= 57
            if !(letter || (!first && (digit || b == 45))) { return false }
            first = false
        }
        return !first
    }
}
