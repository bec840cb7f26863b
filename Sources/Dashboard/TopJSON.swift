import Capture
import Foundation
import Projection

/// `top --once --format json`: a frame's figures for scripts.
public enum TopJSON {
    public static func render(_ f: LiveFrame, _ o: LiveOptions) -> String {
        func number(_ v: Double?, digits: Double = 4) -> JSONValue {
            guard let v, v.isFinite else { return .null }
            let scale = pow(10, digits)
            return .double((v * scale).rounded() / scale)
        }
        func figures(_ x: LiveFrame.Figures?) -> JSONValue {
            let x = x ?? .init()
            return .object([("started", .int(x.started)), ("done", .int(x.done)), ("failed", .int(x.failed)),
                            ("success_rate", number(x.successRate)), ("failure_rate", number(x.failureRate)),
                            ("stalled", .int(x.stalled)), ("p50_response_s", number(x.p50ResponseSeconds, digits: 3)),
                            ("p95_response_s", number(x.p95ResponseSeconds, digits: 3))])
        }
        func time(_ ns: UInt64?) -> JSONValue { ns.map { .string(Timestamp.format($0, fractionDigits: 3)) } ?? .null }
        var fields: [(String, JSONValue)] = TaskKind.allCases.map { kind in
            (kind.rawValue, .object([("total", figures(f.total[kind])), ("window", figures(f.inWindow[kind])),
                                     ("threshold_crossed", .bool(f.thresholdCrossed.contains(kind)))]))
        }
        fields.append(("recorder", .object([
            ("connected", f.recorderConnected.map { .bool($0) } ?? .null), ("blind_windows", .int(Int64(f.blindWindows))),
            ("blind_s", number(f.blindSeconds, digits: 1)), ("last_message_at", time(f.lastMessageAt)),
            ("messages", .int(f.messages)),
        ])))
        fields.append(("as_of", time(f.asOf)))
        fields.append(("window_s", .int(Int64(f.window / 1_000_000_000))))
        fields.append(("failure_causes", .array(f.causes.map { c in
            .object([("kind", .string(c.kind.rawValue)), ("failed_by", c.failedBy.map { .string($0) } ?? .null),
                     ("result_code", c.code.map { .int($0) } ?? .null), ("result_msg", c.message.map { .string($0) } ?? .null),
                     ("tasks", .int(Int64(c.tasks))), ("devices", .int(Int64(c.devices)))])
        })))
        fields.append(("stalled", .object([("count", .int(Int64(f.stalledCount))), ("oldest", .array(f.oldestStalled.map { t in
            .object([("product", .string(t.product)), ("device", .string(t.device)), ("kind", .string(t.kind.rawValue)),
                     ("name", .string(t.name)), ("idle_s", number(t.idleSeconds, digits: 1))])
        }))])))
        fields.append(("messages_per_s", .object([("up", .array(f.upPerSecond.map { .int($0) })), ("down", .array(f.downPerSecond.map { .int($0) }))])))
        fields.append(("anomalies", .object(f.anomalies.map { ($0.kind, .object([("window", .int($0.window)), ("total", .int($0.total))])) })))
        fields.append(("abort", .object([("failure_rate", number(o.abortFailureRate)), ("min_tasks", .int(Int64(o.abortMinTasks)))])))
        return JSONValue.object(fields).rendered() + "\n"
    }
}
