/// Why a recorder stopped on its own.
public enum RecorderError: Error, Sendable, CustomStringConvertible {
    /// Another client keeps taking the session of this client id over.
    case clientIDConflict(clientID: String, broker: String)
    /// Told to stop while the disk was full: `held` messages could not be written.
    case stoppedOnFullDisk(path: String, reason: String, held: Int, journal: String?)

    public var description: String {
        switch self {
        case .clientIDConflict(let id, let broker):
            "\(broker): another client keeps taking over the session of client id '\(id)' (the broker allows one "
                + "connection per id, so each would record about half); stopped: give every recorder its own --client-id"
        case .stoppedOnFullDisk(let path, let reason, let held, let journal):
            "\(path): stopped while the disk was full (\(reason)); \(held) messages could not be written"
                + (journal.map { ": they are kept in \($0), and `restrace recover` writes them once there is room" } ?? " and are lost")
        }
    }
}
