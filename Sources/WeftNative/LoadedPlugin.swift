import CWeft

/// A plugin library that is loaded and initialised.
///
/// Owns the `dlopen` handle: the library stays mapped while this object
/// lives, and every `NodeType` from the plugin holds a strong reference to
/// it, so no function pointer outlives its code. When the last reference
/// goes, the plugin's `deinit` is called (if its `init` succeeded) and the
/// library is closed — on whichever thread drops that reference.
public final class LoadedPlugin: @unchecked Sendable {
    /// The file as given to the loader.
    public let path: String
    /// The namespace its nodes live in (`std` for `std.add`).
    public let name: String
    public let version: String
    public let summary: String
    /// The plugin ABI version the plugin was built for.
    public let abiVersion: UInt32

    let handle: UnsafeMutableRawPointer
    let deinitFunction: weft_deinit_fn?
    /// Set once `init` returned WEFT_OK; only then is `deinit` called.
    var initialized = false

    init(path: String, name: String, version: String, summary: String, abiVersion: UInt32,
         handle: UnsafeMutableRawPointer, deinitFunction: weft_deinit_fn?) {
        self.path = path
        self.name = name
        self.version = version
        self.summary = summary
        self.abiVersion = abiVersion
        self.handle = handle
        self.deinitFunction = deinitFunction
    }

    deinit {
        if initialized { deinitFunction?() }
        DL.close(handle)
    }
}
