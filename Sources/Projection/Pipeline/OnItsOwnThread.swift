import Foundation

/// Work started on a thread of its own, whose result is waited for when needed.
final class OnItsOwnThread<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once on the worker's thread before `done` is signalled,
    // and read only after waiting for it.
    private var result: Result<Value, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> Value) {
        Thread { [self] in
            result = Result { try work() }
            done.signal()
        }.start()
    }

    /// Waits for the work to end; returns its value or throws its error.
    func get() throws -> Value {
        done.wait()
        done.signal()  // a second call does not wait forever
        return try result!.get()
    }
}
