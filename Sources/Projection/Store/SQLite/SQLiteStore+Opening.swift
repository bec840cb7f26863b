import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// What `SQLiteStore` checks before it opens a file, and how its connections wait for each other.
extension SQLiteStore {
    /// What an existing file at a `--db` path is.
    enum ExistingFile: Equatable {
        /// Not a restrace projection of any version: never overwritten.
        case foreign(String)
        /// A projection that must be started over (another version or capture), or an empty file.
        case stale(String)
        case current
    }

    /// Looks at the existing file at `path` once: its header, then (one read) its checkpoint table,
    /// projection version and, when `captureID` is given, the capture it was made from.
    static func inspect(_ path: String, captureID: String?) -> ExistingFile {
        if let notRegular = notARegularFile(path) { return .foreign("not a restrace projection (\(notRegular))") }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .foreign("cannot be read") }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return .stale("an empty file") }  // nothing in it to lose
        guard header == Data("SQLite format 3\0".utf8) else { return .foreign("not a restrace projection (not an SQLite database)") }
        do {
            let q = try DatabaseQueue(path: path, configuration: configuration(readonly: true))
            defer { try? q.close() }
            return try q.read { db in
                guard try db.tableExists("checkpoint"), try db.columns(in: "checkpoint").contains(where: { $0.name == "projection_version" }) else {
                    return .foreign("not a restrace projection (an SQLite database without restrace's checkpoint table)")
                }
                let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if version != ProjectionSchema.version { return .stale("made by projection version \(version), this is \(ProjectionSchema.version)") }
                if let captureID, let id = try String.fetchOne(db, sql: "SELECT capture_id FROM checkpoint WHERE id = 1"), id != captureID {
                    return .stale("made from another capture (\(id))")
                }
                return .current
            }
        } catch {
            return .foreign("not a restrace projection (\(ProjectionError.reason(error)))")
        }
    }

    /// Why `path` (followed if a link) cannot be a projection file, or nil for a regular file. A
    /// directory (a capture, say), a device, a pipe or a socket given as --db is never opened,
    /// emptied or removed: opening a pipe alone would wait forever.
    static func notARegularFile(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }  // missing: created; unreadable: said when opened
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        default: return "not a regular file"
        }
    }

    /// How a connection waits for another one: a report run while `project --follow` commits a
    /// batch (or the projector committing while a report reads) waits for the other instead of
    /// failing with "database is locked".
    /// `mapped` (reading only): pages read through a memory map.
    static func configuration(readonly: Bool, mapped: Bool = true) -> Configuration {
        var config = Configuration()
        config.readonly = readonly
        config.busyMode = .timeout(60)
        if readonly, mapped {
            // Reports read pages through a memory map instead of a read() call and a copy each.
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 4294967296") }
        }
        return config
    }
}
