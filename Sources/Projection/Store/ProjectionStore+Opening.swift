import Foundation
import GRDB

/// What `ProjectionStore` checks before it opens a file: that it is a projection at all, and
/// whether it must be started over; and how its connections wait for each other.
extension ProjectionStore {
    /// Why the existing file at `path` is not a restrace projection (of any version), or nil if it
    /// is one. An empty file counts as one: there is nothing in it to lose.
    static func notAProjection(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be read" }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return nil }
        guard header == Data("SQLite format 3\0".utf8) else { return "not a restrace projection (not an SQLite database)" }
        do {
            let q = try DatabaseQueue(path: path, configuration: Self.configuration(readonly: true))
            defer { try? q.close() }
            let ours = try q.read { db in
                try db.tableExists("checkpoint") && db.columns(in: "checkpoint").contains { $0.name == "projection_version" }
            }
            return ours ? nil : "not a restrace projection (an SQLite database without restrace's checkpoint table)"
        } catch {
            return "not a restrace projection (\(error))"
        }
    }

    /// How a connection waits for another one: a report run while `project --follow` commits a
    /// batch (or the projector committing while a report reads) waits for the other instead of
    /// failing with "database is locked".
    static func configuration(readonly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readonly
        config.busyMode = .timeout(60)
        return config
    }

    /// Why the projection at `path` must be started over, or nil if it can be continued. A file
    /// that cannot be read is an error, never a reason to delete it.
    static func staleness(of path: String, captureID: String) throws -> String? {
        do {
            let q = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            defer { try? q.close() }
            return try q.read { db -> String? in
                let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if version != ProjectionSchema.version { return "made by projection version \(version), this is \(ProjectionSchema.version)" }
                guard try db.tableExists("checkpoint") else { return "no checkpoint" }
                let id = try String.fetchOne(db, sql: "SELECT capture_id FROM checkpoint WHERE id = 1")
                if let id, id != captureID { return "made from another capture (\(id))" }
                return nil
            }
        } catch {
            throw ProjectionError.database(path: path, reason: "\(error)")
        }
    }
}
