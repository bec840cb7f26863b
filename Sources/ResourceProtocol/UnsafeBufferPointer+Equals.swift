extension UnsafeBufferPointer<UInt8> {
    /// True when these bytes are `word`'s, byte for byte: the decoder and the topic parser match
    /// keys, types, states and topic levels this way, without making a String of them.
    @inline(__always)
    func equals(_ word: StaticString) -> Bool {
        guard count == word.utf8CodeUnitCount else { return false }
        guard let a = baseAddress else { return true }
        let b = word.utf8Start
        for k in 0..<count where a[k] != b[k] { return false }
        return true
    }
}
