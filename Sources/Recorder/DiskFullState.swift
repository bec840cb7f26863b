import Foundation

/// While the disk is full: since when, why, and when the recorder last said so.
struct DiskFullState {
    static let retryInterval = 1.0
    /// A reminder this often while it lasts.
    static let remindEvery = 30.0
    private(set) var since: Date?
    private(set) var path = ""
    private(set) var reason = ""
    private var lastSaid = Date.distantPast

    var seconds: Double { since.map { Date().timeIntervalSince($0) } ?? 0 }

    /// Notes a full disk; true the first time (say so then).
    mutating func begin(path: String, reason: String) -> Bool {
        guard since == nil else { return false }
        since = Date()
        lastSaid = Date()
        self.path = path
        self.reason = reason
        return true
    }

    mutating func shouldRemind() -> Bool {
        guard Date().timeIntervalSince(lastSaid) >= Self.remindEvery else { return false }
        lastSaid = Date()
        return true
    }
}
