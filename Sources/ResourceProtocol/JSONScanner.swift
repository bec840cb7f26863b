/// A small forward-only JSON scanner over UTF-8 bytes, for the flat objects of the protocol.
///
/// It never recurses, so hostile nesting cannot exhaust the stack, and it allocates only for the
/// strings a caller asks for.
struct JSONScanner {
    typealias Failure = ResourceDecodingError
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    func fail(_ reason: String) -> Failure { .invalidJSON(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard peek() == byte else { throw fail(atEnd ? "unexpected end, expected \(what)" : "expected \(what)") }
        index += 1
    }

    /// Walks the members of the object at the cursor, calling `body` with each key; `body` must
    /// consume the value.
    mutating func members(_ body: (inout JSONScanner, JSONKey) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "'{'")
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try scanKey()
            try expect(UInt8(ascii: ":"), "':'")
            try body(&self, key)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            case nil: throw fail("unexpected end inside an object")
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func scanKey() throws(Failure) -> JSONKey {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            index = end + 1
            return JSONKey(UnsafeBufferPointer(rebasing: bytes[start..<end]))
        }
        let text = try string(field: "key")
        return JSONKey(text)
    }

    /// A string value; `null` gives nil. Anything else is an error naming `field`.
    mutating func optionalString(field: String) throws(Failure) -> String? {
        switch peek() ?? 0 {
        case UInt8(ascii: "\""): return try string(field: field)
        case UInt8(ascii: "n"): try literal("null"); return nil
        case 0: throw fail("unexpected end")
        default: throw Failure.invalidField(field: field, reason: "expected a string")
        }
    }

    /// The string at the cursor, unescaped; its bytes must be valid UTF-8.
    mutating func string(field: String) throws(Failure) -> String {
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = index
        var end = start
        while end < bytes.count {
            let b = bytes[end]
            if b == UInt8(ascii: "\"") {
                index = end + 1
                return try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<end]), field: field)
            }
            if b == UInt8(ascii: "\\") { break }
            end += 1
        }
        if end >= bytes.count { index = end; throw fail("unterminated string") }
        return try escapedString(from: start, field: field)
    }

    /// A String from UTF-8 bytes; ASCII (the usual case) takes the fast path, anything else is validated.
    static func text(_ raw: UnsafeBufferPointer<UInt8>, field: String) throws(Failure) -> String {
        var ascii = true
        for b in raw where b >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: raw, as: UTF8.self) }
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw Failure.invalidField(field: field, reason: "not valid UTF-8")
        }
        return s
    }

    /// A string field that is one of a few known words (a message type, a state), matched on its
    /// bytes without making a String: the word, or nil and the text as given (nil and nil for
    /// `null`).
    @inline(__always)
    mutating func word<Word>(field: String, matching match: (UnsafeBufferPointer<UInt8>) -> Word?) throws(Failure) -> (Word?, String?) {
        if let raw = rawString() {
            if let word = match(raw) { return (word, nil) }
            return (nil, try Self.text(raw, field: field))
        }
        guard var text = try optionalString(field: field) else { return (nil, nil) }
        if let word = text.withUTF8(match) { return (word, nil) }
        return (nil, text)
    }

    /// The raw bytes of the string at the cursor when it has no escapes (nil otherwise; the cursor
    /// then stays where it was).
    mutating func rawString() -> UnsafeBufferPointer<UInt8>? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        defer { index = end + 1 }
        return UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end])
    }

    private mutating func escapedString(from start: Int, field: String) throws(Failure) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        index = start
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return try out.withUnsafeBufferPointer { (raw) throws(Failure) in try Self.text(raw, field: field) }
            }
            if b != UInt8(ascii: "\\") { out.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("bad escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    /// An integer given as a number or as a string of digits (real clients send both); `null` gives nil.
    mutating func lenientInteger(field: String) throws(Failure) -> Int64? {
        switch peek() ?? 0 {
        case UInt8(ascii: "\""):
            let text = try string(field: field).trimmingSpaces
            if text.isEmpty { return nil }
            if let v = Int64(text) { return v }
            if let d = Double(text), let v = Self.integral(d) { return v }
            throw Failure.invalidField(field: field, reason: "'\(text.prefix(40))' is not an integer")
        case UInt8(ascii: "n"): try literal("null"); return nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number(field: field)
        case 0: throw fail("unexpected end")
        default: throw Failure.invalidField(field: field, reason: "expected a number")
        }
    }

    private static func integral(_ d: Double) -> Int64? {
        guard d.isFinite, d >= -9.2e18, d <= 9.2e18 else { return nil }
        return Int64(d.rounded(.towardZero))
    }

    private mutating func number(field: String) throws(Failure) -> Int64 {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var value: Int64 = 0
        var overflow = false
        var digits = 0
        while index < bytes.count, case let c = bytes[index], c >= 0x30, c <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.subtractingReportingOverflow(Int64(c - 0x30))  // accumulate negatively
            overflow = overflow || o1 || o2
            value = a
            digits += 1
            index += 1
        }
        if digits == 0 { throw fail("bad number") }
        var fractional = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            fractional = true
            while index < bytes.count, case let c = bytes[index],
                  (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                index += 1
            }
        }
        if fractional || overflow {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let d = Double(text), let v = Self.integral(d) else {
                throw Failure.invalidField(field: field, reason: "\(text.prefix(40)) is out of range")
            }
            return v
        }
        if negative { return value }
        let (v, o) = Int64(0).subtractingReportingOverflow(value)
        if o { throw Failure.invalidField(field: field, reason: "out of range") }
        return v
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw fail("unexpected end") }
        for k in 0..<n where bytes[index + k] != word.utf8Start[k] { throw fail("unexpected token") }
        index += n
    }

    /// Skips one value of any kind. Iterative, with a depth limit.
    mutating func skipValue(maxDepth: Int) throws(Failure) {
        var stack: [UInt8] = []
        repeat {
            guard let c = peek() else { throw fail("unexpected end") }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if stack.count >= maxDepth { throw Failure.tooDeep(offset: index) }
                stack.append(c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                index += 1
                if peek() == stack.last! { index += 1; stack.removeLast(); break }
                if c == UInt8(ascii: "{") { try skipKeyColon() }
                continue
            case UInt8(ascii: "\""): _ = try skipString()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                index += 1
                while index < bytes.count, case let d = bytes[index],
                      (d >= 0x30 && d <= 0x39) || d == UInt8(ascii: ".") || d == UInt8(ascii: "e") || d == UInt8(ascii: "E") || d == UInt8(ascii: "+") || d == UInt8(ascii: "-") {
                    index += 1
                }
            default: throw fail("unexpected byte")
            }
            // After a complete value: close containers or move to the next element.
            while let close = stack.last {
                guard let n = peek() else { throw fail("unexpected end") }
                if n == close { index += 1; stack.removeLast(); continue }
                guard n == UInt8(ascii: ",") else { throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
                index += 1
                if close == UInt8(ascii: "}") { try skipKeyColon() }
                break
            }
        } while !stack.isEmpty
    }

    private mutating func skipKeyColon() throws(Failure) {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
        try skipString()
        try expect(UInt8(ascii: ":"), "':'")
    }

    private mutating func skipString() throws(Failure) {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index += 1; return
            case UInt8(ascii: "\\"): index += 2
            default: index += 1
            }
        }
        throw fail("unterminated string")
    }
}

/// The keys the protocol knows, matched on raw bytes without building a String.
enum JSONKey: Equatable {
    case type, size, name, md5sum, url, progress, state, percent, resultCode, resultMessage, report, other

    init(_ raw: UnsafeBufferPointer<UInt8>) {
        switch raw.count {
        case 3 where raw.equals("url"): self = .url
        case 4 where raw.equals("type"): self = .type
        case 4 where raw.equals("size"): self = .size
        case 4 where raw.equals("name"): self = .name
        case 5 where raw.equals("state"): self = .state
        case 6 where raw.equals("md5sum"): self = .md5sum
        case 6 where raw.equals("report"): self = .report
        case 7 where raw.equals("percent"): self = .percent
        case 8 where raw.equals("progress"): self = .progress
        case 10 where raw.equals("result_msg"): self = .resultMessage
        case 11 where raw.equals("result_code"): self = .resultCode
        default: self = .other
        }
    }

    init(_ text: String) {
        var copy = text
        self = copy.withUTF8 { JSONKey($0) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
