import Foundation

/// One batch, as the store prepared it, and the checkpoint it reaches, on their way to the store
/// (none for a part of a transaction, `ProjectionStore.writesInParts`).
struct PendingWrite: Sendable {
    var batch: any PreparedBatch
    var checkpoint: Checkpoint?
    var number: Int
    var caughtUp: Bool
}

/// Commits batches in order on its own thread; after a failure it takes no more.
final class BatchWriter: @unchecked Sendable {
    // @unchecked: `failure`, `built` and `outstanding` are guarded by `state`; `beforeCommit` is
    // only called on the writer's thread.
    let store: any ProjectionStore
    /// Two batches wait at most, as between the reader and the reducer (`Projector.project`).
    private let writes = HandOver<PendingWrite>(capacity: 2)
    private let state = NSCondition()
    private var outstanding = 0
    private var failure: Error?
    private var built = false
    let finished = DispatchSemaphore(value: 0)
    private let beforeCommit: (Int) throws -> Void

    init(store: any ProjectionStore, beforeCommit: @escaping (Int) throws -> Void) {
        self.store = store
        self.beforeCommit = beforeCommit
    }

    var error: Error? { state.lock(); defer { state.unlock() }; return failure }
    /// True once the indexes were built (when a batch caught up with the capture).
    var indexed: Bool { state.lock(); defer { state.unlock() }; return built }

    /// Queues a batch; false if the writer failed and takes no more.
    func submit(_ w: PendingWrite) -> Bool {
        state.lock(); outstanding += 1; state.unlock()
        guard writes.push(w) else { settle(); return false }
        return true
    }

    /// No more batches will come.
    func close() { writes.close() }

    /// Waits until every batch submitted so far is committed (or the writer failed).
    func waitUntilIdle() {
        state.lock()
        while outstanding > 0, failure == nil { state.wait() }
        state.unlock()
    }

    private func settle(failing error: Error? = nil) {
        state.lock()
        outstanding -= 1
        if let error { failure = error; outstanding = 0 }
        state.broadcast()
        state.unlock()
    }

    func run() {
        defer { finished.signal() }
        while let w = writes.pop() {
            do {
                try store.write(w.batch, checkpoint: w.checkpoint) { try beforeCommit(w.number) }
                if w.caughtUp, !indexed {
                    try store.ensureIndexes()
                    state.lock(); built = true; state.unlock()
                }
                settle()
            } catch {
                settle(failing: error)
                writes.cancel()
                return
            }
        }
    }
}
