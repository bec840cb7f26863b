/// How a device SDK spells its JSON (docs/protocol.md, "What real devices send").
enum Dialect: Sendable {
    /// The C SDK: mixed spacing, no `percent` on final reports, names not escaped, progress at QoS 0.
    case cSDK(numbersAsStrings: Bool)
    /// The Python SDK: `", "` and `": "` spacing, `percent: 100` on done, base names, QoS 1 for all.
    case pythonSDK

    var progressQoS: UInt8 { if case .pythonSDK = self { 1 } else { 0 } }

    /// The name as this SDK sends it: the Python SDK drops the extension.
    func name(_ file: String) -> String {
        guard case .pythonSDK = self, let dot = file.lastIndex(of: "."), dot != file.startIndex else { return file }
        return String(file[..<dot])
    }

    func createUploadTask(name: String, size: Int64, md5: String) -> String {
        switch self {
        case .cSDK(let strings):
            let sz = strings ? "\"\(size)\"" : "\(size)"
            return #"{"type": "create_upload_task","size": \#(sz),"name": "\#(name)","md5sum": "\#(md5)"}"#
        case .pythonSDK:
            return #"{"type": "create_upload_task", "size": \#(size), "name": "\#(escaped(name))", "md5sum": "\#(md5)"}"#
        }
    }

    var getDownloadTask: String {
        if case .pythonSDK = self { return #"{"type": "get_download_task"}"# }
        return #"{"type":"get_download_task"}"#
    }

    func progress(kind: String, name: String, state: String, percent: Int64?, code: Int64, message: String) -> String {
        let type = "report_\(kind)_progress"
        switch self {
        case .cSDK:
            let pct = percent.map { #""percent":\#($0),"# } ?? ""
            return #"{"type":"\#(type)","name":"\#(name)","progress":{"state":"\#(state)",\#(pct)"result_code":\#(code),"result_msg":"\#(message)"}}"#
        case .pythonSDK:
            let pct = percent ?? (state == "done" ? 100 : nil)
            let p = pct.map { #""percent": \#($0), "# } ?? ""
            return #"{"type": "\#(type)", "name": "\#(escaped(name))", "progress": {"state": "\#(state)", \#(p)"result_code": \#(code), "result_msg": "\#(message)"}}"#
        }
    }
}

/// The platform's side of the protocol.
enum Platform {
    static func offer(type: String, name: String, size: Int64, md5: String, url: String) -> String {
        #"{"type":"\#(type)","size":\#(size),"name":"\#(escaped(name))","md5sum":"\#(md5)","url":"\#(url)"}"#
    }

    static func response(kind: String, code: Int64, message: String) -> String {
        #"{"type":"report_\#(kind)_progress_rsp","result_code":\#(code),"result_msg":"\#(message)"}"#
    }

    static func url(product: String, device: String, name: String, expires: UInt64, token: UInt64) -> String {
        "https://resource-1250000000.cos.ap-guangzhou.myqcloud.com/\(product)/\(device)/\(name)"
            + "?q-sign-algorithm=sha1&q-ak=AKIDrestracesim&q-sign-time=\(expires / 1_000_000_000 - 3600);\(expires / 1_000_000_000)"
            + "&q-signature=\(String(token, radix: 16))"
    }
}

func escaped(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
