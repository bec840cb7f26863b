extension String {
    /// The string with its control characters written as escapes (`\n`, `\t`, `\u{1B}`), for text
    /// meant for a terminal: names and payloads sent by devices cannot move the cursor, recolour or
    /// clear the screen, or break a line in two.
    public var terminalSafe: String {
        func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || (0x7F...0x9F).contains(u.value) }
        guard unicodeScalars.contains(where: isControl) else { return self }
        var out = String.UnicodeScalarView()
        for u in unicodeScalars {
            switch u.value {
            case 0x0A: out.append(contentsOf: "\\n".unicodeScalars)
            case 0x0D: out.append(contentsOf: "\\r".unicodeScalars)
            case 0x09: out.append(contentsOf: "\\t".unicodeScalars)
            case _ where isControl(u): out.append(contentsOf: "\\u{\(String(u.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: out.append(u)
            }
        }
        return String(out)
    }
}
