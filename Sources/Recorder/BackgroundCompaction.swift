import Capture
import Foundation

/// `record --compact-closed`: each segment the recorder closes is rewritten for the archive
/// (`CaptureCompaction`) on a thread of its own, one at a time, while recording goes on. What
/// was done is collected for the recorder's thread to write as events (it alone writes the capture).
final class BackgroundCompaction: @unchecked Sendable {
    // @unchecked: `finished` is only touched with `lock` held; the queue runs one job at a time.
    private let queue = DispatchQueue(label: "restrace.compact-closed", qos: .utility)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var finished: [Result<CaptureCompaction.Result, CaptureError>] = []
    private let options: CaptureCompaction.Options

    init(options: CaptureCompaction.Options = CaptureCompaction.Options()) { self.options = options }

    func compact(_ file: String) {
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            let result = Result { () throws(CaptureError) in try CaptureCompaction.compactFile(file, options: options) }
            lock.lock()
            finished.append(result)
            lock.unlock()
        }
    }

    /// What finished since the last call.
    func takeFinished() -> [Result<CaptureCompaction.Result, CaptureError>] {
        lock.lock()
        defer { lock.unlock() }
        let out = finished
        finished = []
        return out
    }

    /// Waits for the compactions under way.
    func wait() { group.wait() }
}
