import Capture
import Testing
@testable import Projection

@Suite struct MessageBatchTests {
    private func message(_ id: Int64) -> IncomingMessage {
        IncomingMessage(id: id, time: UInt64(id), topic: "$resource/up/service/P/device-\(id)-with-a-long-name",
                        payload: Array(#"{"type":"get_download_task"}"#.utf8),
                        position: CapturePosition(file: "000001.mcap", chunkOffset: 0, index: Int(id)))
    }

    @Test func givesEachMessageOnceInOrderAndIsEmptyAfterwards() {
        let batch = MessageBatch(capacity: 5)
        #expect(batch.isEmpty)
        for id in 1...5 { batch.append(message(Int64(id))) }
        #expect(batch.isFull && batch.count == 5)
        var seen: [(Int64, String)] = []
        batch.takeEach { m in seen.append((m.id, m.topic)) }
        #expect(seen.map(\.0) == [1, 2, 3, 4, 5])
        #expect(seen.map(\.1) == (1...5).map { message(Int64($0)).topic })
        #expect(batch.isEmpty)
        batch.takeEach { _ in Issue.record("taken twice") }
        batch.append(message(6))  // refilled, then freed with a message still in it
        #expect(batch.count == 1)
    }
}
