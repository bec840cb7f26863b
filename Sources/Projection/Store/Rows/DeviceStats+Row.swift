extension DeviceStats {
    /// The columns of `devices`, the key (product, device) first, in `bind(into:)`'s order.
    static let columns = ["product", "device", "first_seen", "last_seen", "messages", "polls", "pending_poll"]
    /// The columns an update of a known device sets.
    static let changingColumns = Array(columns.dropFirst(2))

    /// How a known device's row takes the batch's values, `target` being the unique key's columns.
    static func onConflict(_ target: String) -> String {
        "ON CONFLICT \(target) DO UPDATE SET " + changingColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    }

    func bind(into s: inout some RowBinder) {
        s.bind(product); s.bind(device); s.bind(firstSeen); s.bind(lastSeen); s.bind(messages); s.bind(polls); s.bind(pendingPoll)
    }
}
