/// Why a plugin file could not be loaded. Each case's message names the file
/// and says what to do about it.
public struct PluginLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable code.
    public enum Kind: String, Sendable, Equatable {
        case emptyPath = "empty_path"
        case fileMissing = "file_missing"
        case notAFile = "not_a_file"
        case folderMissing = "folder_missing"
        case notALibrary = "not_a_library"
        case entryMissing = "entry_missing"
        case abiMismatch = "abi_mismatch"
        case invalidEntry = "invalid_entry"
        case initFailed = "init_failed"
        case invalidDescriptor = "invalid_descriptor"
        case duplicateNode = "duplicate_node"
        case duplicatePlugin = "duplicate_plugin"
    }

    /// The file (or folder) the error is about.
    public var path: String
    public var kind: Kind
    /// The full message, starting with the path.
    public var message: String

    public init(path: String, kind: Kind, _ detail: String) {
        self.path = path
        self.kind = kind
        self.message = "\(path.isEmpty ? "(empty path)" : path): \(detail)"
    }

    public var description: String { message }
}
