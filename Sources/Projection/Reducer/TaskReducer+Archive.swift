/// Keeps the reducer's memory to the tasks that can still change soon: an ended task, answered
/// and idle for `archiveAfter`, leaves memory; its row is in the store (committed before anything
/// reads it back) and only its id and attempt number stay, so that the next attempt of its key is
/// numbered. A late event for it reads it back through `archive`.
extension TaskReducer {
    /// Moves idle ended tasks out of memory; called by `drain()`, after their rows were taken.
    mutating func archiveIdle() {
        guard let after = archiveAfter, archive != nil, clock > after else { return }
        let cutoff = clock - after
        let idle = tasks.values.filter { t in
            !t.state.isOpen && t.pendingResponses == 0 && t.lastEventAt < cutoff && latest[t.key] == t.id
        }
        for t in idle {
            tasks[t.id] = nil
            latest[t.key] = nil
            archived[t.key] = ArchivedAttempt(id: t.id, attempt: t.attempt)
        }
    }

    /// Brings task `id` back from the archive, if it is there.
    mutating func restore(_ id: Int64) -> TransferTask? {
        guard let t = archive?(id), archived[t.key]?.id == id else { return nil }
        archived[t.key] = nil
        tasks[id] = t
        latest[t.key] = id
        return t
    }
}

/// What the reducer keeps of an archived attempt.
public struct ArchivedAttempt: Sendable, Equatable {
    public var id: Int64
    public var attempt: Int
}
