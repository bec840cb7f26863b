/// A batch's rows in COPY's binary format, table by table, its events by the day they fall on:
/// made by `PostgresStore.prepare` on the reducer's thread, so that the writer's thread spends its
/// time in the server rather than formatting (docs/performance.md).
struct CopyBatch: PreparedBatch {
    var topics = CopyRows()
    /// The events of each day, copied into its partition of `event_rows` straight (through the
    /// parent, the server looked up each row's partition: 0.5 s more on the bench capture).
    var events: [(day: EventPartition, rows: CopyRows)] = []
    var anomalies = CopyRows()
    /// Tasks first written by this batch, and the changed columns of those written before.
    var newTasks = CopyRows()
    var changedTasks = CopyRows()
    /// Whether a new task's attempt is the store's to count (`TransferTask.countedByStore`).
    var countsAttempts = false
    var devices = CopyRows()
    var traffic = CopyRows()
    var recorderEvents = CopyRows()
    let newTasksFrom: Int64

    /// The days its events fall on.
    var days: Set<EventPartition> { Set(events.map(\.day)) }

    init(_ out: ReducerOutput, newTasksFrom: Int64) {
        self.newTasksFrom = newTasksFrom
        for t in out.topics { t.bind(into: &topics); topics.endRow() }
        var day = -1
        for e in out.events {
            let p = EventPartition(time: Int64(bitPattern: e.time))
            if day < 0 || events[day].day != p {  // most events: the day of the one before
                day = events.firstIndex { $0.day == p } ?? events.endIndex
                if day == events.endIndex { events.append((p, CopyRows())) }
            }
            var rows = events[day].rows
            rows.bind(e.id); e.bind(into: &rows); rows.endRow()
        }
        for a in out.anomalies { a.bind(into: &anomalies); anomalies.endRow() }
        let firstNew = out.firstNewTask(from: newTasksFrom)
        for t in out.tasks[firstNew...] {
            newTasks.bind(t.id); t.bind(into: &newTasks); newTasks.endRow()
            if t.attempt == TransferTask.countedByStore { countsAttempts = true }
        }
        for t in out.tasks[..<firstNew] { t.bindChanges(into: &changedTasks); changedTasks.endRow() }
        for d in out.devices { d.bind(into: &devices); devices.endRow() }
        for (second, t) in out.traffic.sorted(by: { $0.key < $1.key }) { t.bind(into: &traffic, second: second); traffic.endRow() }
        for e in out.recorderEvents { e.bind(into: &recorderEvents); recorderEvents.endRow() }
    }
}
