import ResourceProtocol

/// The pure projection: applies one message at a time to the transfer tasks it knows, following
/// the rules of docs/protocol.md ("What restrace derives"). No I/O and no clock: the same messages in
/// the same order always give the same tasks.
public struct TaskReducer: Sendable {
    /// Tasks that are the latest attempt of their key, plus those changed since the last drain.
    var tasks: [Int64: TransferTask] = [:]
    var latest: [TaskKey: Int64] = [:]
    /// Per device slot and kind, tasks that may still receive a `_rsp`, oldest first.
    var responders = PerDeviceKind<[Int64]>(empty: [])
    /// Per device slot and kind, the latest attempt started (where `upload_result` lands).
    var lastStarted = PerDeviceKind<Int64?>(empty: nil)
    var devices = DeviceTable()
    var topics = TopicTable()
    var nextTaskID: Int64 = 1
    var dirtyTasks = Set<Int64>()
    var output = ReducerOutput()
    /// Per second, to add to the `traffic` table (moved into `output` by `drain`).
    var traffic = TrafficCounter()
    /// Keys whose latest attempt has left memory (see `archiveIdle`): the most recent in full, all
    /// of them in a Bloom filter.
    var archived = ArchivedAttempts()
    var archivedKeys = ArchivedKeys()
    /// Whether some keys are only in `archivedKeys` (`archived` was emptied, or the state was loaded
    /// so): until then the filter is not asked, so that its false positives cost nothing.
    var keysOnlyInFilter = false
    /// Keys the filter may hold (a false positive) that the store was asked for and does not
    /// have: a device's progress reports for a task never requested would each ask again, and
    /// without the key index (a fresh load) each asking reads every task. A key leaving memory is
    /// taken out; at most 65 536 are kept (then forgotten at once).
    var absentFromStore = Set<TaskKey>()
    /// How many archived keys `archived` holds before it is emptied: by default the most a
    /// dictionary of 2^19 buckets holds before it doubles (three quarters), 12 MiB. With 2^19 keys
    /// it took 2^20 buckets, and 36 MiB while it doubled (heaptrack). The bench capture (349 726
    /// keys) never reaches it; tests make it small.
    var archivedInFull = 3 << 17
    /// Ended tasks idle this long (capture time) leave memory at the next drain; nil: never.
    public var archiveAfter: Duration?
    /// Reads archived tasks' committed rows back (set by the projector). The results are the
    /// same whether a task was in memory or read back: archiving only bounds memory.
    public var archive: TaskArchive?
    /// The latest message time applied.
    var clock: UInt64 = 0
    /// Ended tasks with no response pending, by the time of their last event as they were queued:
    /// the candidates of `archiveIdle`, which looks at no other task.
    var endedQueue = EndedQueue()

    /// A poll older than this is not taken as the request of a later download offer.
    static let pollWindow: UInt64 = 60_000_000_000

    public init() {}

    /// Restores the state from the latest attempt of every key that is still in memory (as the
    /// store keeps them); those that had left it are added with `noteArchived`.
    public init(latestTasks: [TransferTask], devices: [DeviceStats], topics: [TopicRow] = [], topicIDBase: Int64 = 0,
                nextTaskID: Int64, clock: UInt64 = 0) {
        self.devices = DeviceTable(devices)
        self.topics = TopicTable(topics, idBase: topicIDBase)
        self.clock = clock
        for t in latestTasks.sorted(by: { $0.id < $1.id }) {  // responders oldest first
            tasks[t.id] = t
            latest[t.key] = t.id
            let slot = self.devices.slot(of: t.key, firstSeen: t.startedAt)
            if t.state.isOpen || t.pendingResponses > 0 { responders[slot, t.key.kind].append(t.id) }
            lastStarted[slot, t.key.kind] = max(lastStarted[slot, t.key.kind] ?? 0, t.id)
        }
        for t in latestTasks.sorted(by: { ($0.lastEventAt, $0.id) < ($1.lastEventAt, $1.id) }) { endedQueue.noteIfEnded(t) }
        self.nextTaskID = nextTaskID
    }

    /// Adds a key whose latest attempt (`id`) had left memory when the state was committed.
    public mutating func noteArchived(_ key: TaskKey, id: Int64) {
        archivedKeys.insert(key)
        keysOnlyInFilter = true
        let slot = devices.slot(of: key, firstSeen: clock)
        lastStarted[slot, key.kind] = max(lastStarted[slot, key.kind] ?? 0, id)
    }

    /// Open tasks and tasks awaiting a response: what the reducer holds in memory.
    public var tasksInMemory: Int { tasks.count }

    /// Takes the rows changed since the last call.
    public mutating func drain() -> ReducerOutput {
        var out = takeAdded()
        out.tasks = dirtyTasks.sorted().compactMap { tasks[$0] }
        for t in out.tasks { endedQueue.noteIfEnded(t) }
        out.devices = devices.drain()
        out.traffic = traffic.drain()
        for id in dirtyTasks where latest[tasks[id]!.key] != id { tasks[id] = nil }
        dirtyTasks.removeAll(keepingCapacity: true)
        archiveIdle()
        return out
    }

    /// Takes the rows that are only ever added (events, anomalies, recorder events, new topics)
    /// since the last call, if there are at least `minimum` events (at least one) among them (else
    /// nil, and they wait): a part of a transaction. The tasks, devices and traffic changed wait
    /// for `drain`, which ends it.
    public mutating func drainAdded(atLeast minimum: Int) -> ReducerOutput? {
        guard !output.events.isEmpty, output.events.count >= minimum else { return nil }
        let out = takeAdded()
        // Tasks written by an earlier transaction and idle since leave memory now too: a
        // transaction in parts holds five times the messages of one that is not.
        archiveIdle()
        return out
    }

    /// The rows only ever added since the last drain (`output`: events, anomalies, recorder
    /// events) and the new topics, leaving room for as many events (grown from empty, the array
    /// was copied some 16 times per 50 000-message batch).
    private mutating func takeAdded() -> ReducerOutput {
        var out = output
        output = ReducerOutput()
        output.events.reserveCapacity(out.events.count)
        out.topics = topics.drain()
        return out
    }

    /// Applies one message.
    public mutating func apply(_ m: IncomingMessage) {
        if m.isRecorderEvent {
            output.recorderEvents.append(RecorderEvent(time: m.time, event: m.recorderEvent ?? "unknown", detail: m.recorderDetail))
            return
        }
        clock = max(clock, m.time)
        var event = ProjectedEvent(id: m.id, time: m.time, topic: nil, payloadBytes: m.payloadBytes, position: m.position)
        apply(m, to: &event)
        output.events.append(consume event)  // moved, not copied: its strings are not counted again
    }

    /// Applies a message that is not the recorder's, filling in its event.
    private mutating func apply(_ m: IncomingMessage, to event: inout ProjectedEvent) {
        let topic: ResourceTopic
        switch m.parsedTopic {
        case .failure(let e):
            event.topic = e.topic
            anomaly(.badTopic, m, detail: e.description)
            return
        case .success(let t):
            topic = t
        }
        event.topicID = topics.id(of: topic, number: m.topicNumber)
        traffic[Int64(m.time / 1_000_000_000)].count(topic.direction, bytes: m.payloadBytes)
        let device = devices.see(topic, number: m.topicNumber, at: m.time, poll: false)
        let message: ResourceMessage
        switch m.message {
        case .failure(let e):
            anomaly(Anomaly.Kind(rawValue: e.kind) ?? .malformedJSON, m, detail: e.description)
            return
        case .success(let msg):
            message = msg
        }
        event.type = message.typeName
        guard let expected = message.expectedDirection else {
            anomaly(.unknownType, m, detail: message.typeName.map { "type '\($0)'" } ?? "no type")
            return
        }
        guard expected == topic.direction else {
            anomaly(.wrongDirection, m, detail: "\(message.typeName ?? "?") sent \(topic.direction.rawValue)")
            return
        }
        switch message {
        case .createUploadTask(let file):
            event.name = file.name
            event.taskID = start(TaskKey(product: topic.product, device: topic.device, kind: .upload, name: file.name),
                                 device: device, file: file, state: .requested, m)
        case .createUploadTaskResponse(let file):
            event.name = file.name
            event.taskID = offerUpload(topic, file, m)
        case .getDownloadTask:
            devices.see(slot: device, at: m.time, poll: true)
        case .getDownloadTaskResponse(let file), .download(let file):
            event.name = file.name
            event.taskID = offerDownload(topic, device: device, file, m)
        case .reportUploadProgress(let p), .reportDownloadProgress(let p):
            event.name = p.name
            event.percent = p.percent
            event.state = p.state.rawValue
            event.resultCode = p.resultCode
            let kind: TaskKind = if case .reportUploadProgress = message { .upload } else { .download }
            event.taskID = progress(TaskKey(product: topic.product, device: topic.device, kind: kind, name: p.name), p, m)
        case .reportUploadProgressResponse(let r), .reportDownloadProgressResponse(let r):
            event.resultCode = r.resultCode
            let kind: TaskKind = if case .reportUploadProgressResponse = message { .upload } else { .download }
            event.taskID = response(device: device, kind: kind, r, m)
        case .uploadResult(let code):
            event.resultCode = code
            event.taskID = uploadResult(device: device, code, m)
        case .unrecognized:
            break
        }
    }

    // MARK: - Helpers shared by the rules

    mutating func anomaly(_ kind: Anomaly.Kind, _ m: IncomingMessage, task: Int64? = nil, detail: String) {
        let topic = try? m.parsedTopic.get()
        output.anomalies.append(Anomaly(kind: kind, time: m.time, topic: m.topic, product: topic?.product, device: topic?.device,
                                        eventID: m.id, position: m.position.description, taskID: task, detail: detail))
    }

    mutating func update(_ id: Int64, at time: UInt64, _ change: (inout TransferTask) -> Void) {
        // In place, through `withTask`: one hash, and the task is never copied.
        let (kind, before, after) = withTask(id) { t in
            let before = (t.startedAt, t.state, t.finishedAt)
            change(&t)
            t.lastEventAt = max(t.lastEventAt, time)
            return (t.key.kind, before, (t.startedAt, t.state, t.finishedAt))
        }!
        dirtyTasks.insert(id)
        if before != after {
            countTask(kind: kind, started: before.0, state: before.1, finished: before.2, by: -1)
            countTask(kind: kind, started: after.0, state: after.1, finished: after.2, by: 1)
        }
    }

    /// Adds `delta` to the per-second counters `t` contributes to as it stands: started in the
    /// second of its start, done or failed in the second it finished. Kept exact through every
    /// change, so the `traffic` table answers `report throughput` without reading the tasks.
    private mutating func countTask(kind: TaskKind, started: UInt64, state: TaskState, finished: UInt64?, by delta: Int64) {
        traffic[Int64(started / 1_000_000_000)].started[kind] += delta
        guard let end = finished else { return }
        let second = Int64(end / 1_000_000_000)
        switch state {
        case .done: traffic[second].done[kind] += delta
        case .failed: traffic[second].failed[kind] += delta
        default: break
        }
    }

    /// Reads or changes task `id` in place: the dictionary's getter would copy the whole task,
    /// retaining and releasing each of its strings, to read one field (most messages read a few).
    mutating func withTask<T>(_ id: Int64, _ body: (inout TransferTask) -> T) -> T? {
        guard let i = tasks.index(forKey: id) else { return nil }
        return body(&tasks.values[i])
    }

    /// The id of the latest attempt of `key`, if any, read back from the store if it had left memory.
    mutating func latestTaskID(_ key: TaskKey) -> Int64? {
        if let id = latest[key] { return id }
        if let a = archived[key, slot: devices.slot(of: key, firstSeen: clock)] { return restore(a.id)?.id }
        guard keysOnlyInFilter, archivedKeys.mayContain(key), !absentFromStore.contains(key), let archive else { return nil }
        guard let t = archive.latest(key) else {
            if absentFromStore.count >= 1 << 16 { absentFromStore.removeAll() }
            absentFromStore.insert(key)
            return nil
        }
        return restore(t)?.id
    }

    /// The latest attempt of `key` if it is in memory: enough where only an open task matters
    /// (an archived task has ended).
    func openTask(_ key: TaskKey) -> TransferTask? { latest[key].flatMap { tasks[$0] }.flatMap { $0.state.isOpen ? $0 : nil } }

    /// Starts a new attempt of `key` (whose device is in slot `device`), superseding an open one.
    mutating func start(_ key: TaskKey, device: Int, file: FileInfo, state: TaskState, _ m: IncomingMessage) -> Int64 {
        var attempt = 1
        if let id = latest[key], let previous = tasks[id] {
            attempt = previous.attempt == TransferTask.countedByStore ? previous.attempt : previous.attempt + 1
            if previous.state.isOpen {
                let time = m.time
                update(previous.id, at: time) { $0.state = .superseded; $0.finishedAt = time }
            }
        } else if let a = archived.remove(key, slot: device) {
            attempt = a.attempt + 1
        } else if keysOnlyInFilter, archivedKeys.mayContain(key) {
            // An earlier attempt may be in the store: it counts this one when it writes the row.
            attempt = TransferTask.countedByStore
        }
        let id = nextTaskID
        nextTaskID += 1
        var task = TransferTask(id: id, key: key, attempt: attempt, state: state, at: m.time)
        task.size = file.size
        task.md5sum = file.md5sum
        if state == .requested { task.requestedAt = m.time }
        tasks[id] = task
        latest[key] = id
        dirtyTasks.insert(id)
        countTask(kind: key.kind, started: task.startedAt, state: task.state, finished: task.finishedAt, by: 1)
        responders[device, key.kind].append(id)
        lastStarted[device, key.kind] = id
        return id
    }
}
