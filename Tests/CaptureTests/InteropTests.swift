import Foundation
import Testing
@testable import Capture
import TestSupport

/// Captures are read by the official Python `mcap` package, and we read what it writes.
@Suite struct InteropTests {
    @Test func pythonReadsOurCapture() throws {
        let dir = temporaryDirectory("interop")
        defer { cleanup(dir) }
        var messages = sampleMessages(count: 700)
        messages.append(CapturedMessage(time: messages.last!.time + 5, topic: "$resource/up/service/P/bin", payload: [0, 0xFF, 0x22]))
        var options = CaptureWriter.Options()
        options.segmentSize = 16 << 10
        _ = try writeCapture(messages, to: dir, options: options, flushEvery: 64)
        let script = """
        import sys, glob, json
        from mcap.reader import make_reader
        out = []
        for path in sorted(glob.glob(sys.argv[1] + '/*.mcap')):
            with open(path, 'rb') as f:
                r = make_reader(f)
                assert r.get_summary() is not None and r.get_summary().statistics is not None
                for schema, channel, message in r.iter_messages(log_time_order=False):
                    out.append([message.log_time, message.sequence, channel.topic, channel.metadata['qos'], channel.metadata['retain'], message.data.hex()])
        print(json.dumps(out))
        """
        let result = try runProcess(venvPython, ["-c", script, dir])
        #expect(result.status == 0, "\(result.err)")
        let rows = try JSONSerialization.jsonObject(with: result.out) as! [[Any]]
        #expect(rows.count == messages.count)
        for (row, (i, m)) in zip(rows, messages.enumerated()) {
            #expect((row[0] as! NSNumber).uint64Value == m.time)
            #expect((row[1] as! NSNumber).intValue == 0, "message \(i): sequence 0, as restrace writes since 0.4.0")
            #expect(row[2] as! String == m.topic)
            #expect(row[3] as! String == String(m.qos))
            #expect(row[4] as! String == String(m.retain))
            #expect(row[5] as! String == m.payload.map { String(format: "%02x", $0) }.joined())
        }
    }

    @Test func pythonStreamsATornCapture() throws {
        let dir = temporaryDirectory("interop-torn")
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 300)
        do {
            let w = try CaptureWriter(directory: dir)
            for (i, m) in messages.enumerated() { try w.write(m); if (i + 1) % 100 == 0 { try w.flush() } }
        }
        // No close(): the file is as a crash leaves it (and its writer is gone: recover leaves
        // a live writer's file alone). Then recover and read it with Python.
        _ = try CaptureRecovery.recover(path: dir)
        let script = """
        import sys
        from mcap.reader import make_reader
        with open(sys.argv[1], 'rb') as f:
            print(sum(1 for _ in make_reader(f).iter_messages()))
        """
        let result = try runProcess(venvPython, ["-c", script, dir + "/000001.mcap"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.text.trimmingCharacters(in: .whitespacesAndNewlines) == "300")
    }

    @Test func weReadWhatPythonWrites() throws {
        let dir = temporaryDirectory("interop-py")
        defer { cleanup(dir) }
        let script = """
        import sys
        from mcap.writer import Writer, CompressionType
        with open(sys.argv[1], 'wb') as f:
            w = Writer(f, compression=CompressionType.ZSTD, chunk_size=4000)
            w.start()
            ch = w.register_channel(topic='$resource/up/service/P/d', message_encoding='json', schema_id=0, metadata={'qos': '1', 'retain': 'false'})
            for i in range(500):
                data = ('{"type":"get_download_task","i":%d}' % i).encode()
                w.add_message(channel_id=ch, log_time=1000 + i, publish_time=1000 + i, data=data, sequence=i)
            w.finish()
        """
        let file = dir + "/python.mcap"
        let result = try runProcess(venvPython, ["-c", script, file])
        #expect(result.status == 0, "\(result.err)")
        let (entries, problems) = try readAll([file])
        #expect(problems.isEmpty)
        #expect(entries.count == 500)
        #expect(entries[499].message == CapturedMessage(time: 1499, topic: "$resource/up/service/P/d", qos: 1,
                                                         payload: Array(#"{"type":"get_download_task","i":499}"#.utf8)))
        #expect(try CaptureVerifier.verify(path: file)[0].isIntact)
    }
}
