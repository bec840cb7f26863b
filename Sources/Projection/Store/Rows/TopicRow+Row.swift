extension TopicRow {
    /// The columns of `topics`, in `bind(into:)`'s order.
    static let columns = ["id", "direction", "product", "device"]

    func bind(into s: inout some RowBinder) {
        s.bind(id); s.bind(topic.direction.rawValue); s.bind(topic.product); s.bind(topic.device)
    }
}
