// restrace-bench: in-process measurements for `make bench` (scripts/bench.sh prints the table).
// Each subcommand prints `name value unit` lines.
import Capture
import Foundation
import Projection
import ResourceProtocol
import Simulator

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Realistic messages from the simulated fleet.
func fleetMessages(_ count: Int) -> [SimulatedMessage] {
    var o = SimulationOptions()
    o.devices = 2500  // enough that stalled devices (silent for good) do not end the fleet before `count`
    o.duration = .seconds(100 * 3600)
    var fleet = FleetSimulator(options: o)
    var out: [SimulatedMessage] = []
    out.reserveCapacity(count)
    while out.count < count, let m = fleet.next() { out.append(m) }
    return out
}

/// What Foundation's JSONDecoder does with the same payloads (the baseline of the decoder).
struct Loose: Decodable {
    struct Progress: Decodable { var state: String?; var percent: Int?; var result_code: Int?; var result_msg: String? }
    var type: String?
    var name: String?
    var size: Int?
    var md5sum: String?
    var url: String?
    var result_code: Int?
    var progress: Progress?
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "decode":
    let count = Int(args[2]) ?? 1_000_000
    let payloads = fleetMessages(20_000).map(\.payload)
    var ok = 0
    let t = seconds {
        for i in 0..<count { if (try? ResourceMessage(decoding: payloads[i % payloads.count])) != nil { ok += 1 } }
    }
    let decoder = JSONDecoder()
    let baselineCount = count / 10
    let tb = seconds {
        for i in 0..<baselineCount { if (try? decoder.decode(Loose.self, from: Data(payloads[i % payloads.count]))) != nil { ok += 1 } }
    }
    print("decode_ns_per_message \(String(format: "%.1f", t / Double(count) * 1e9)) ns")
    print("jsondecoder_ns_per_message \(String(format: "%.1f", tb / Double(baselineCount) * 1e9)) ns")
    FileHandle.standardError.write("decoded \(ok)\n".data(using: .utf8)!)
case "write":
    // write DIR COUNT: time CaptureWriter alone; also leave DIR.txt (mosquitto_sub lines) for the zstd baseline.
    let dir = args[2], count = Int(args[3]) ?? 1_000_000
    var options = CaptureWriter.Options()
    if args.count > 4, let level = Int32(args[4]) { options.codec = level == 0 ? UncompressedCodec() : ZstdCodec(level: level) }
    if args.count > 5, let kib = Int(args[5]) { options.chunkSize = kib << 10 }
    // Receive times as a recorder takes them: nanosecond clock readings, not the simulator's round
    // milliseconds; or, with `same` after the chunk size, one time for every message (to see what
    // the times cost a capture).
    let sameTime = args.count > 6 && args[6] == "same"
    var noise: UInt64 = 0x9E3779B97F4A7C15
    // Each message's topic and payload made as a recorder makes them when a message arrives, so
    // that they lie in memory in arrival order: the simulator's own share topics and lie among its
    // state, and reading them so took the writer 0.59-0.99 s instead of 0.37-0.52 (docs/performance.md).
    let messages = fleetMessages(count).map { m -> CapturedMessage in
        noise = noise &* 6364136223846793005 &+ 1442695040888963407
        return CapturedMessage(time: sameTime ? 1_800_000_000_000_000_000 : m.time + (noise >> 33) % 1_000_000, topic: String(decoding: Array(m.topic.utf8), as: UTF8.self),
                               qos: m.qos, payload: m.payload.withUnsafeBufferPointer { Array($0) })
    }
    var raw = 0
    for m in messages { raw += m.payload.count + m.topic.utf8.count + 21 }
    var text = Data()
    for m in messages { text.append(contentsOf: MosquittoSubLines.line(for: m)); text.append(0x0A) }
    try! text.write(to: URL(fileURLWithPath: dir + ".txt"))
    let t = try! seconds {
        let w = try CaptureWriter(directory: dir, options: options)
        for i in messages.indices { try w.write(messages[i]) }
        try w.close()
    }
    print("write_seconds \(String(format: "%.3f", t)) s")
    print("write_mb_per_s \(String(format: "%.1f", Double(text.count) / t / 1e6)) MB/s")
    print("text_bytes \(text.count) B")
case "read":
    let dir = args[2]
    var bytes = 0, n = 0
    let t = try! seconds {
        let r = try CaptureReader(paths: [dir])
        while let e = r.next() { bytes += e.message.payload.count + e.message.topic.utf8.count + 21; n += 1 }
    }
    print("read_seconds \(String(format: "%.3f", t)) s")
    print("read_messages \(n) messages")
case "reduce":
    // reduce CAPTURE: the reducer alone (no store), on messages decoded beforehand, drained every 50 000.
    let r = try! CaptureReader(paths: [args[2]])
    var messages: [IncomingMessage] = []
    while let e = r.next() {
        messages.append(IncomingMessage(id: Int64(messages.count + 1), time: e.message.time, topic: e.message.topic,
                                        payload: e.message.payload, position: e.position))
    }
    var reducer = TaskReducer()
    var tasks = 0
    let t = seconds {
        for (i, m) in messages.enumerated() {
            reducer.apply(m)
            if i % 50_000 == 49_999 { tasks += reducer.drain().tasks.count }
        }
        tasks += reducer.drain().tasks.count
    }
    print("reduce_seconds \(String(format: "%.3f", t)) s")
    print("reduce_ns_per_message \(String(format: "%.0f", t * 1e9 / Double(messages.count))) ns")
    print("reduce_task_rows \(tasks) rows")
case "positions":
    // positions N: formatting N capture positions as text (the projection does it for every message).
    let n = Int(args[2]) ?? 1_000_000
    var total = 0
    let t = seconds {
        for i in 0..<n { total += CapturePosition(file: "000123.mcap", chunkOffset: UInt64(i) * 1000, index: i % 300).description.utf8.count }
    }
    print("position_ns \(String(format: "%.0f", t * 1e9 / Double(n))) ns (\(total) bytes)")
case "csv":
    // csv CAPTURE: the raw events as CSV (time_ns,topic,payload) for the sqlite3 .import baseline.
    let r = try! CaptureReader(paths: [args[2]])
    var out: [UInt8] = []
    out.reserveCapacity(1 << 21)
    func field(_ bytes: some Sequence<UInt8>) {
        out.append(0x22)
        for b in bytes { if b == 0x22 { out.append(0x22) }; out.append(b) }
        out.append(0x22)
    }
    let handle = FileHandle.standardOutput
    while let e = r.next() {
        out.append(contentsOf: String(e.message.time).utf8)
        out.append(0x2C); field(e.message.topic.utf8); out.append(0x2C); field(e.message.payload); out.append(0x0A)
        if out.count > 1 << 20 { handle.write(Data(out)); out.removeAll(keepingCapacity: true) }
    }
    handle.write(Data(out))
case "steady":
    // steady DIR RATE SECONDS: a capture of RATE messages/s, evenly spaced, for replay lateness.
    let dir = args[2], rate = Double(args[3]) ?? 10_000, secs = Double(args[4]) ?? 5
    let w = try! CaptureWriter(directory: dir)
    let gap = UInt64(1e9 / rate)
    let payload = Array(#"{"type":"report_upload_progress","name":"face_1.jpg","progress":{"state":"uploading","percent":42,"result_code":0,"result_msg":""}}"#.utf8)
    for i in 0..<Int(rate * secs) {
        try! w.write(CapturedMessage(time: 1_795_717_359_000_000_000 + UInt64(i) * gap, topic: "$resource/up/service/P/dev\(i % 100)", payload: payload))
    }
    try! w.close()
default:
    print("usage: restrace-bench decode COUNT | write DIR COUNT [LEVEL [CHUNK_KIB [same]]] | read DIR | csv CAPTURE | steady DIR RATE SECONDS")
}
