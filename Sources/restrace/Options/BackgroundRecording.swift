import Foundation
import Logging
import Recorder
import Synchronization

/// `top --broker --out`: a recorder on its own thread writing the capture the view follows.
final class BackgroundRecording: Sendable {
    private let stopped = Atomic(false)
    private let done = DispatchSemaphore(value: 0)
    private let failure = Mutex<(any Error)?>(nil)
    /// What stopped the recorder, if it stopped on its own.
    var error: (any Error)? { failure.withLock { $0 } }
    var failed: Bool { error != nil }

    init(options: RecorderOptions, directory: String) throws {
        // The recorder is made here (its errors are this init's) and used by its thread only.
        // Its log would write over the full screen: the view shows the connection itself, and
        // only what stops the recording is said (after the screen is put back).
        var logger = Logger(label: "restrace.top.record")
        logger.logLevel = .critical
        nonisolated(unsafe) let recorder = try Recorder(options: options, directory: directory, logger: logger)
        Thread { [self] in
            do {
                _ = try recorder.run(shouldStop: { self.stopped.load(ordering: .relaxed) })
            } catch {
                self.failure.withLock { $0 = error }
            }
            done.signal()
        }.start()
        // The view opens the capture once its first file is there.
        for _ in 0..<100 where !((try? FileManager.default.contentsOfDirectory(atPath: directory))?.contains { $0.hasSuffix(".mcap") } ?? false) {
            usleep(50_000)
        }
    }

    /// Stops the recorder (once) and waits for it to close the capture.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        done.wait()
    }
}
