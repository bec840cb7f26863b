import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors as people read them: the system's own words for a failed file operation, and values
/// from the outside (topics, names) quoted short.
public enum ErrorText {
    /// Why a file-system call failed, as `strerror` says it ("Not a directory"), rather than
    /// Foundation's "The operation could not be completed. (NSCocoaErrorDomain error 512.)".
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        for candidate in [ns, ns.userInfo[NSUnderlyingErrorKey] as? NSError].compactMap({ $0 }) where candidate.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(candidate.code)))
        }
        return ns.localizedDescription
    }

    /// Creates `path` and its missing parents, as `mkdir -p` does, throwing the system's reason
    /// (Foundation's own `createDirectory` says only "NSCocoaErrorDomain error 512").
    public static func makeDirectories(_ path: String) throws(CaptureError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        // The parent by the last slash (Foundation's deletingLastPathComponent traps on some
        // one-character relative paths).
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        if let slash = trimmed.lastIndex(of: "/"), slash != trimmed.startIndex {
            try makeDirectories(String(trimmed[..<slash]))
        }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw .io(path: path, reason: "cannot create the directory: \(String(cString: strerror(errno)))")
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .io(path: path, reason: "cannot create the directory: a file of that name is in the way")
        }
    }
}

extension String {
    /// The string as quoted in a message: at most `limit` characters, cut in the middle with how
    /// many were left out (a 65 KB topic is not an error message).
    public func cutForMessage(_ limit: Int = 120) -> String {
        guard count > limit else { return self }
        let half = limit / 2
        return "\(prefix(half))…[\(count - 2 * half) characters]…\(suffix(half))"
    }
}
