public import CWeft
import WeftCore

/// Why a host could not register a node (`weft_engine_register_node`).
public struct HostNodeError: Error, Sendable, CustomStringConvertible {
    /// The status code to report (`WEFT_ERR_INVALID`, `WEFT_ERR_DUPLICATE`).
    public var status: Int32
    public var message: String
    public var description: String { message }
}

extension NodeRegistry {
    /// Registers a node the embedding host wrote, as `namespace.name`, from
    /// the same descriptor plugins use. The namespace becomes the host's: a
    /// plugin of that name can no longer load, and a loaded plugin's
    /// namespace cannot take host nodes.
    public func registerHostNode(namespace: String, descriptor: UnsafePointer<weft_node_desc_t>)
        -> Result<NodeType, HostNodeError>
    {
        guard Identifier.isValid(namespace) else {
            return .failure(HostNodeError(status: WEFT_ERR_INVALID,
                                          message: "namespace '\(namespace)' is not a valid name (letters, digits and _, not starting with a digit)"))
        }
        let spec: NodeSpec
        let callbacks: DescriptorReader.Callbacks
        switch DescriptorReader.read(descriptor, namespace: namespace) {
        case .failure(let m):
            return .failure(HostNodeError(status: WEFT_ERR_INVALID, message: m.message))
        case .success(let (s, c)):
            spec = s
            callbacks = c
        }
        let type = NodeType(spec: spec, plugin: nil, create: callbacks.create, run: callbacks.run,
                            destroy: callbacks.destroy, userData: callbacks.userData, cancel: callbacks.cancel,
                            observe: callbacks.observe)
        return withState { s in
            if let plugin = s.pluginsByName[namespace] {
                return .failure(HostNodeError(
                    status: WEFT_ERR_DUPLICATE,
                    message: "namespace '\(namespace)' belongs to the plugin loaded from \(plugin.path); "
                        + "register host nodes under a namespace of their own"))
            }
            if s.nodes[spec.fullName] != nil {
                return .failure(HostNodeError(
                    status: WEFT_ERR_DUPLICATE,
                    message: "node '\(spec.fullName)' is already registered; give the node another name"))
            }
            s.nodes[spec.fullName] = type
            s.hostNamespaces.insert(namespace)
            return .success(type)
        }
    }
}

/// The host table every plugin receives, for embedding hosts whose own
/// nodes call the same functions (`weft_host_table()`).
public enum PluginHost {
    public static var table: UnsafePointer<weft_host_t> { UnsafePointer(HostTable.shared) }
}
