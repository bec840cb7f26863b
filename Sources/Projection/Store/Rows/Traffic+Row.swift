extension Traffic {
    /// The columns of `traffic`: the second, then the counters `bind(into:second:)` binds, which
    /// a batch adds to what the second already holds.
    static let columns = ["second"] + counters
    static let counters = ["up_messages", "down_messages", "up_bytes", "down_bytes", "upload_bytes", "download_bytes",
                           "uploads_started", "uploads_done", "uploads_failed", "downloads_started", "downloads_done", "downloads_failed"]

    /// How a second already counted adds the batch's counts, `target` being the unique key's columns.
    static func onConflict(_ target: String) -> String {
        "ON CONFLICT \(target) DO UPDATE SET " + counters.map { "\($0) = traffic.\($0) + excluded.\($0)" }.joined(separator: ", ")
    }

    func bind(into s: inout some RowBinder, second: Int64) {
        s.bind(second); s.bind(upMessages); s.bind(downMessages); s.bind(upBytes); s.bind(downBytes)
        s.bind(uploadBytes); s.bind(downloadBytes)
        for kind in [TaskKind.upload, .download] {
            s.bind(started[kind]); s.bind(done[kind]); s.bind(failed[kind])
        }
    }
}
