import Foundation
import Logging
import Recorder
import Synchronization

/// `top --broker --out`: a recorder on its own thread writing the capture the view follows.
final class BackgroundRecording: @unchecked Sendable {
    // @unchecked: `error` is written by the recorder's thread before `done` is signalled.
    private let stopped = Atomic(false)
    private let done = DispatchSemaphore(value: 0)
    private(set) var error: Error?
    private let ended = Atomic(false)
    var failed: Bool { ended.load(ordering: .relaxed) && error != nil }

    init(options: RecorderOptions, directory: String) throws {
        // The recorder is made here (its errors are this init's) and used by its thread only.
        // Its log would write over the full screen: the view shows the connection itself, and
        // only what stops the recording is said (after the screen is put back).
        var logger = Logger(label: "restrace.top.record")
        logger.logLevel = .critical
        nonisolated(unsafe) let recorder = try Recorder(options: options, directory: directory, logger: logger)
        Thread { [self] in
            do { _ = try recorder.run(shouldStop: { self.stopped.load(ordering: .relaxed) }) } catch { self.error = error }
            ended.store(true, ordering: .relaxed)
            done.signal()
        }.start()
        // The view opens the capture once its first file is there.
        for _ in 0..<100 where !((try? FileManager.default.contentsOfDirectory(atPath: directory))?.contains { $0.hasSuffix(".mcap") } ?? false) {
            usleep(50_000)
        }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        done.wait()
    }
}
