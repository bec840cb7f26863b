/// A value worked out once per channel of the messages read (a parsed topic, a selection): found
/// by index for every message. Values are kept per file (`ChannelKey`): the current file's, and
/// those of as many other files as there are other captures merged with it (each capture reads
/// its files one after another), the least recently read dropped first; so memory holds a few
/// files' values however many files a capture has.
/// (Inlinable: generic across modules, it was not specialized, and cost 5 % of a projection.)
public struct ChannelCache<Value> {
    @usableFromInline let others: Int
    @usableFromInline var reader = -1
    @usableFromInline var values: [Value?] = []
    /// Other files' values, the most recently read first.
    @usableFromInline var recent: [(reader: Int, values: [Value?])] = []

    /// For messages merged from `captures` captures.
    @inlinable public init(captures: Int = 1) { others = max(0, captures - 1) }

    /// Files whose values are kept, the current one included.
    @inlinable public var filesKept: Int { recent.count + (reader < 0 ? 0 : 1) }

    /// The value for `m`'s channel, made by `make` the first time it is asked for.
    @inlinable public mutating func value(for m: MessageView, _ make: () throws -> Value) rethrows -> Value {
        let key = m.channelKey
        if key.reader != reader {
            if reader >= 0, others > 0 { recent.insert((reader, values), at: 0) }
            values = recent.firstIndex { $0.reader == key.reader }.map { recent.remove(at: $0).values } ?? []
            if recent.count > others { recent.removeLast(recent.count - others) }
            reader = key.reader
        }
        let i = key.definition
        if i < values.count, let v = values[i] { return v }
        let v = try make()
        if i >= values.count { values += repeatElement(nil, count: i - values.count + 1) }
        values[i] = v
        return v
    }
}
