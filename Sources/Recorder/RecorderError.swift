/// Why a recorder stopped on its own.
public enum RecorderError: Error, Sendable, CustomStringConvertible {
    /// Another client keeps taking the session of this client id over.
    case clientIDConflict(clientID: String, broker: String)

    public var description: String {
        switch self {
        case .clientIDConflict(let id, let broker):
            "\(broker): another client keeps taking over the session of client id '\(id)' (the broker allows one "
                + "connection per id, so each would record about half); stopped: give every recorder its own --client-id"
        }
    }
}
