extension String {
    /// The string as HTML text or attribute value: markup characters escaped, and control
    /// characters (which HTML does not allow) written as `\u{…}` as `terminalSafe` does, so a name
    /// a device sent can neither add markup nor make the page invalid.
    var htmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for u in terminalSafe.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Noncharacters are not allowed in HTML either.
                if (0xFDD0...0xFDEF).contains(u.value) || u.value & 0xFFFE == 0xFFFE {
                    out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

extension JSONValue {
    /// The value of `key` in an object.
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    /// The value at a dotted path such as `tasks.upload.done`.
    func at(_ path: String) -> JSONValue? {
        path.split(separator: ".").reduce(Optional(self)) { v, k in v?[String(k)] }
    }

    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    var elements: [JSONValue] { if case .array(let a) = self { a } else { [] } }
}
