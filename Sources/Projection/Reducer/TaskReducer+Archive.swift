/// Keeps the reducer's memory to the tasks that can still change soon: an ended task, answered
/// and idle for `archiveAfter`, leaves memory; its row is in the store (committed before anything
/// reads it back) and only its key stays: with its id and attempt number among the most recent
/// (`ArchivedAttempts`), and in a Bloom filter (`ArchivedKeys`) for good. A new attempt of a key
/// only the filter may hold is numbered by the store, and a late event for it reads it back
/// through `archive`.
extension TaskReducer {
    /// Moves idle ended tasks out of memory; called by `drain()`, after their rows were taken,
    /// and by `drainAdded` (a part), where a task changed since the last drain stays.
    mutating func archiveIdle() {
        guard let after = archiveAfter?.nanoseconds, archive != nil, clock > after else { return }
        let cutoff = clock - after
        while let (time, id) = endedQueue.popFirst(before: cutoff) {
            // A task changed since it was queued was queued again with its new last event.
            // One changed since the last drain (in a part of a transaction) waits for the next.
            guard let t = tasks[id], t.lastEventAt == time, !t.state.isOpen, t.pendingResponses == 0, !dirtyTasks.contains(id) else { continue }
            tasks[id] = nil
            // An earlier attempt (its key was tried again while it was in memory): nothing to keep.
            // Nothing reaches it any more: `_rsp`s go to tasks that await one, `upload_result` to
            // its device's latest upload, every other message to its key's latest attempt.
            guard latest[t.key] == id else { continue }
            latest[t.key] = nil
            archivedKeys.insert(t.key)
            if !absentFromStore.isEmpty { absentFromStore.remove(t.key) }
            // In full only with a number: the next attempt of one the store numbers is the store's too
            // (it can only have been started so once keys were only in the filter).
            guard t.attempt != TransferTask.countedByStore else { continue }
            if archived.count >= archivedInFull {
                archived.removeAll()
                keysOnlyInFilter = true
            }
            archived.set(t.key, slot: devices.slot(of: t.key, firstSeen: t.startedAt), ArchivedAttempt(id: id, attempt: t.attempt))
        }
    }

    /// Brings task `id` back from the archive, if it is there.
    mutating func restore(_ id: Int64) -> TransferTask? {
        archive?.task(id).flatMap { restore($0) }
    }

    /// Takes `t` (read back from the store) into memory as its key's latest attempt, unless a later
    /// attempt of its key is in memory. Queued to leave again: a late message that changes nothing
    /// (an event after the end) would otherwise keep it in memory for good.
    mutating func restore(_ t: TransferTask) -> TransferTask? {
        guard latest[t.key] == nil else { return nil }
        archived.remove(t.key, slot: devices.slot(of: t.key, firstSeen: t.startedAt))
        tasks[t.id] = t
        latest[t.key] = t.id
        endedQueue.noteIfEnded(t)
        return t
    }
}

/// What the reducer keeps of an archived attempt.
public struct ArchivedAttempt: Sendable, Equatable {
    public var id: Int64
    public var attempt: Int
}

/// How the reducer reads archived tasks back from the store: by id, and as the latest attempt of
/// a key. Both read committed rows (the projector waits for its writer first).
public struct TaskArchive: Sendable {
    public var task: @Sendable (Int64) -> TransferTask?
    public var latest: @Sendable (TaskKey) -> TransferTask?

    public init(task: @escaping @Sendable (Int64) -> TransferTask?, latest: @escaping @Sendable (TaskKey) -> TransferTask?) {
        self.task = task
        self.latest = latest
    }
}

/// A first-in, first-out list of (last event time, task id) of ended tasks. Times are nearly in
/// order (capture time); one that is out of order only waits for those queued before it.
struct EndedQueue: Sendable {
    private var items: [(time: UInt64, id: Int64)] = []
    private var head = 0

    mutating func noteIfEnded(_ t: TransferTask) {
        if !t.state.isOpen, t.pendingResponses == 0 { items.append((t.lastEventAt, t.id)) }
    }

    mutating func popFirst(before cutoff: UInt64) -> (time: UInt64, id: Int64)? {
        guard head < items.count, items[head].time < cutoff else {
            if head > 4096, head * 2 > items.count { items.removeFirst(head); head = 0 }
            return nil
        }
        head += 1
        return items[head - 1]
    }
}
