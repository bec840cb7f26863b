import Foundation

/// Resolves what the user named as a capture: a directory of `.mcap` files (read in file-name
/// order) or a single `.mcap` file.
public enum CaptureSource {
    /// The `.mcap` files of a capture path, in reading order.
    public static func files(of path: String) throws(CaptureError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .io(path: path, reason: "no such file or directory")
        }
        if !isDirectory.boolValue { return [path] }
        let files = try segmentFiles(inDirectory: path)
        if files.isEmpty { throw .notACapture(path: path) }
        return files
    }

    /// The `.mcap` files directly inside `directory`, sorted by name (empty if there are none).
    public static func segmentFiles(inDirectory directory: String) throws(CaptureError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw .io(path: directory, reason: "cannot list: \(ErrorText.reason(error))")
        }
        return names.filter { $0.hasSuffix(".mcap") && !$0.hasPrefix(".") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// True if `path` is a directory (a capture that can grow with new files).
    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
