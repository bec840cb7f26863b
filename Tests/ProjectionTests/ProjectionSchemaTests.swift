import Foundation
import GRDB
import ResourceProtocol
import Testing
@testable import Projection

/// The schema's constraints: what the reducer could never write is refused by the file itself.
@Suite struct ProjectionSchemaTests {
    private func migrated() throws -> DatabaseQueue {
        let q = try DatabaseQueue()
        try SQLiteSchema.migrator().migrate(q)
        return q
    }

    /// A valid task row, as SQL literals by column.
    private let validTask: [String: String] = [
        "id": "1", "kind": "'upload'", "product": "'p'", "device": "'d'", "name": "'n'", "attempt": "1", "state": "'done'",
        "stalled": "0", "failed_by": "NULL", "fail_reports": "0", "offers": "0", "progress_reports": "0", "last_event_at": "5",
        "started_at": "1",
    ]

    private func insertTask(_ q: DatabaseQueue, _ changes: [String: String]) throws {
        let row = validTask.merging(changes) { $1 }
        let columns = row.keys.sorted()
        try q.write { db in
            try db.execute(sql: "INSERT INTO tasks (\(columns.joined(separator: ", "))) VALUES (\(columns.map { row[$0]! }.joined(separator: ", ")))")
        }
    }

    /// Each table has exactly the columns its rows bind (`Store/Rows`), from which the inserts, the
    /// updates and PostgreSQL's COPY are spelled: a column added to one and not the other fails here.
    @Test func everyTableHasTheColumnsItsRowsBind() throws {
        let q = try migrated()
        let expected: [(String, [String])] = [
            ("tasks", TransferTask.columns + ["stalled"]), ("event_rows", ProjectedEvent.columns), ("topics", TopicRow.columns),
            ("anomalies", ["id"] + Anomaly.columns), ("devices", DeviceStats.columns), ("traffic", Traffic.columns),
            ("recorder_events", ["id"] + RecorderEvent.columns),
        ]
        for (table, columns) in expected {
            let actual = try q.read { try $0.columns(in: table).map(\.name) }
            #expect(Set(actual) == Set(columns) && actual.count == columns.count, "\(table): \(actual) vs \(columns)")
        }
        #expect(Set(TransferTask.changingColumns).isSubset(of: TransferTask.columns))
    }

    @Test func tasksAcceptEveryValidValue() throws {
        let q = try migrated()
        var id = 1
        for kind in TaskKind.allCases {
            for state in TaskState.allCases {
                for failedBy in ["NULL", "'device'", "'platform'"] {
                    try insertTask(q, ["id": "\(id)", "kind": "'\(kind.rawValue)'", "state": "'\(state.rawValue)'", "failed_by": failedBy,
                                       "stalled": "\(id % 2)"])
                    id += 1
                }
            }
        }
        #expect(try q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM tasks") } == id - 1)
    }

    @Test(arguments: [
        ["kind": "'sideways'"], ["kind": "'Upload'"], ["kind": "NULL"], ["state": "'lost'"], ["state": "'stalled'"], ["state": "NULL"],
        ["stalled": "2"], ["failed_by": "'nobody'"], ["attempt": "0"], ["fail_reports": "-1"], ["offers": "-1"],
        ["progress_reports": "-1"], ["product": "NULL"], ["last_event_at": "NULL"],
    ])
    func tasksRefuseInvalidValues(change: [String: String]) throws {
        let q = try migrated()
        #expect(throws: DatabaseError.self) { try insertTask(q, change) }
    }

    /// A topic's row takes only a direction of `up` or `down`, and each topic once.
    @Test func topicsTakeOnlyADirectionAndAreUnique() throws {
        let q = try migrated()
        func insert(_ direction: String?, _ device: String) throws {
            try q.write { db in
                try db.execute(sql: "INSERT INTO topics (direction, product, device) VALUES (?, 'P', ?)", arguments: [direction, device])
            }
        }
        for (i, d) in ["up", "down"].enumerated() { try insert(d, "d\(i)") }
        for d in ["sideways", "UP", "", nil] { #expect(throws: DatabaseError.self) { try insert(d, "other") } }
        #expect(throws: DatabaseError.self) { try insert("up", "d0") }
        try insert("down", "d0")  // the same device the other way is another topic
    }

    /// `events.topic` is the topic as sent: stored when it is not well formed, else spelled from
    /// its row in `topics` exactly as `ResourceTopic` spells it (non-ASCII and huge parts
    /// included), with its direction, product and device. A row with neither is refused.
    @Test func eventsSpellWellFormedTopicsFromTheirParts() throws {
        let q = try migrated()
        let parts: [(Direction, String, String)] = [(.up, "P", "dev1"), (.down, "PRODUCT-LONG-NAME", "设备-七"),
                                                    (.up, "P", String(repeating: "d", count: 100_000))]
        let raw = ["$resource/up/service/P", "not a topic", "$resource/up/service/P/d/extra"]
        try q.write { db in
            for (i, (d, p, dev)) in parts.enumerated() {
                try db.execute(sql: "INSERT INTO topics (id, direction, product, device) VALUES (?, ?, ?, ?)", arguments: [10 + i, d.rawValue, p, dev])
                try db.execute(sql: "INSERT INTO event_rows (time, topic_id, payload_bytes, position) VALUES (1, ?, 0, 'f@0#0')", arguments: [10 + i])
            }
            for t in raw {
                try db.execute(sql: "INSERT INTO event_rows (time, raw_topic, payload_bytes, position) VALUES (1, ?, 0, 'f@0#0')", arguments: [t])
            }
        }
        let topics = try q.read { try Data.fetchAll($0, sql: "SELECT CAST(topic AS BLOB) FROM events ORDER BY id") }
        #expect(topics == (parts.map { ResourceTopic(direction: $0.0, product: $0.1, device: $0.2).description } + raw).map { Data($0.utf8) })
        let columns = try q.read { try Row.fetchAll($0, sql: "SELECT direction, product, device FROM events ORDER BY id") }
        #expect(columns.map { $0[0] as String? } == parts.map { $0.0.rawValue } + [nil, nil, nil])
        #expect(columns.map { $0[1] as String? } == parts.map { $0.1 } + [nil, nil, nil])
        #expect(columns.map { $0[2] as String? } == parts.map { $0.2 } + [nil, nil, nil])
        #expect(throws: DatabaseError.self) {
            try q.write { try $0.execute(sql: "INSERT INTO event_rows (time, type, payload_bytes, position) VALUES (1, 'x', 0, 'f@0#0')") }
        }
    }
}
