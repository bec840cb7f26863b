import Foundation
@testable import Capture

/// Realistic traffic: uploads with progress of several devices, as docs/protocol.md shows it.
func sampleMessages(count: Int, start: UInt64 = 1_795_717_359_000_000_000) -> [CapturedMessage] {
    (0..<count).map { i in
        let device = "dev-\(i % 7)"
        let up = i % 3 != 1
        let topic = "$resource/\(up ? "up" : "down")/service/TESTPROD01/\(device)"
        let payload = up
            ? #"{"type":"report_upload_progress","name":"fw-\#(i % 5).bin","progress":{"state":"uploading","percent":\#(i % 101),"result_code":0,"result_msg":""}}"#
            : #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":""}"#
        return CapturedMessage(time: start + UInt64(i) * 1_000_000, topic: topic, qos: UInt8(i % 2), retain: i % 11 == 0,
                               payload: Array(payload.utf8))
    }
}

func writeCapture(_ messages: [CapturedMessage], to dir: String, options: CaptureWriter.Options = .init(),
                  flushEvery: Int? = nil) throws -> CaptureWriter {
    let w = try CaptureWriter(directory: dir, options: options)
    for (i, m) in messages.enumerated() {
        try w.write(m)
        if let n = flushEvery, (i + 1) % n == 0 { try w.flush() }
    }
    try w.close()
    return w
}

func readAll(_ paths: [String]) throws -> (entries: [CaptureEntry], problems: [CaptureError]) {
    let r = try CaptureReader(paths: paths)
    var out: [CaptureEntry] = []
    while let e = r.next() { out.append(e) }
    return (out, r.problems)
}
