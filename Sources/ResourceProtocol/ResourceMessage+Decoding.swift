extension ResourceMessage {
    /// Nesting deeper than this is refused (`tooDeep`) rather than walked.
    public static let maximumDepth = 64

    /// Decodes a payload leniently, the way real device clients need: any spacing and key order,
    /// numbers as strings, `percent` missing, unknown keys ignored. Never crashes; the caller keeps
    /// the raw bytes.
    public init(decoding payload: [UInt8]) throws(ResourceDecodingError) {
        try self.init(decoding: payload.withUnsafeBufferPointer { Self.decode($0) })
    }

    /// Decodes the bytes where they lie (a payload lent by a capture reader).
    public init(decoding payload: UnsafeBufferPointer<UInt8>) throws(ResourceDecodingError) {
        try self.init(decoding: Self.decode(payload))
    }

    private init(decoding result: Result<ResourceMessage, ResourceDecodingError>) throws(ResourceDecodingError) {
        switch result {
        case .success(let m): self = m
        case .failure(let e): throw e
        }
    }

    /// Decodes any collection of bytes (copied once if not contiguous).
    public init<Bytes: Collection<UInt8>>(decoding payload: Bytes) throws(ResourceDecodingError) {
        let result: Result<ResourceMessage, ResourceDecodingError>? = payload.withContiguousStorageIfAvailable {
            Self.decode($0)
        }
        try self.init(decoding: result ?? Array(payload).withUnsafeBufferPointer { Self.decode($0) })
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<ResourceMessage, ResourceDecodingError> {
        do throws(ResourceDecodingError) {
            var scanner = JSONScanner(bytes)
            guard let first = scanner.peek() else { throw .empty }
            guard first == UInt8(ascii: "{") else { throw notObject(first, &scanner) }
            var fields = Fields()
            try scanner.members { (s, key) throws(ResourceDecodingError) in try fields.read(key, from: &s) }
            if scanner.peek() != nil { throw scanner.fail("trailing bytes after the object") }
            return .success(try fields.message())
        } catch {
            return .failure(error)
        }
    }

    private static func notObject(_ first: UInt8, _ scanner: inout JSONScanner) -> ResourceDecodingError {
        let found: String
        switch first {
        case UInt8(ascii: "["): found = "an array"
        case UInt8(ascii: "\""): found = "a string"
        case UInt8(ascii: "n"): found = "null"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): found = "a boolean"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): found = "a number"
        default: return scanner.fail("not JSON")
        }
        do { try scanner.skipValue(maxDepth: maximumDepth) } catch { return error }
        if scanner.peek() != nil { return scanner.fail("trailing bytes") }
        return .notAnObject(found: found)
    }
}

/// The fields of one message as they are read, in any order.
private struct Fields {
    var type: String?
    var knownType: KnownType?
    var size: Int64?
    var name: String?
    var md5sum: String?
    var url: String?
    var state: String?
    var knownState: TransferState?
    var percent: Int64?
    var resultCode: Int64?
    var resultMessage: String?
    var reportResultCode: Int64?

    mutating func read(_ key: JSONKey, from s: inout JSONScanner) throws(ResourceDecodingError) {
        switch key {
        case .type: (knownType, type) = try s.word(field: "type", matching: KnownType.init)
        case .size: size = try s.lenientInteger(field: "size")
        case .name: name = try s.optionalString(field: "name")
        case .md5sum: md5sum = try s.optionalString(field: "md5sum")
        case .url: url = try s.optionalString(field: "url")
        case .resultCode: resultCode = try s.lenientInteger(field: "result_code")
        case .resultMessage: resultMessage = try s.optionalString(field: "result_msg")
        case .progress: try readProgress(from: &s)
        case .report: try readReport(from: &s)
        default: try s.skipValue(maxDepth: ResourceMessage.maximumDepth)
        }
    }

    private mutating func readProgress(from s: inout JSONScanner) throws(ResourceDecodingError) {
        guard s.peek() == UInt8(ascii: "{") else { return try s.skipValue(maxDepth: ResourceMessage.maximumDepth) }
        try s.members { (s, key) throws(ResourceDecodingError) in
            switch key {
            case .state: (knownState, state) = try s.word(field: "progress.state", matching: TransferState.init)
            case .percent: percent = try s.lenientInteger(field: "progress.percent")
            case .resultCode: resultCode = try s.lenientInteger(field: "progress.result_code")
            case .resultMessage: resultMessage = try s.optionalString(field: "progress.result_msg")
            default: try s.skipValue(maxDepth: ResourceMessage.maximumDepth)
            }
        }
    }

    /// `upload_result`: `report{progress{result_code}}`.
    private mutating func readReport(from s: inout JSONScanner) throws(ResourceDecodingError) {
        guard s.peek() == UInt8(ascii: "{") else { return try s.skipValue(maxDepth: ResourceMessage.maximumDepth) }
        try s.members { (s, key) throws(ResourceDecodingError) in
            guard key == .progress, s.peek() == UInt8(ascii: "{") else {
                return try s.skipValue(maxDepth: ResourceMessage.maximumDepth)
            }
            try s.members { (s, key) throws(ResourceDecodingError) in
                if key == .resultCode {
                    reportResultCode = try s.lenientInteger(field: "report.progress.result_code")
                } else {
                    try s.skipValue(maxDepth: ResourceMessage.maximumDepth)
                }
            }
        }
    }

    func message() throws(ResourceDecodingError) -> ResourceMessage {
        guard let known = knownType else { return .unrecognized(type: type) }
        let type = known.rawValue
        switch known {
        case .createUploadTask: return .createUploadTask(try file(type))
        case .createUploadTaskResponse: return .createUploadTaskResponse(try file(type))
        case .getDownloadTask: return .getDownloadTask
        case .getDownloadTaskResponse: return .getDownloadTaskResponse(try file(type))
        case .download: return .download(try file(type))
        case .reportUploadProgress: return .reportUploadProgress(try progress(type))
        case .reportDownloadProgress: return .reportDownloadProgress(try progress(type))
        case .reportUploadProgressResponse: return .reportUploadProgressResponse(result)
        case .reportDownloadProgressResponse: return .reportDownloadProgressResponse(result)
        case .uploadResult: return .uploadResult(resultCode: reportResultCode ?? resultCode)
        }
    }

    private var result: PlatformResult { PlatformResult(resultCode: resultCode, resultMessage: resultMessage) }

    private func file(_ type: String) throws(ResourceDecodingError) -> FileInfo {
        guard let name else { throw .missingField(type: type, field: "name") }
        return FileInfo(name: name, size: size, md5sum: md5sum, url: url)
    }

    private func progress(_ type: String) throws(ResourceDecodingError) -> ProgressReport {
        guard let name else { throw .missingField(type: type, field: "name") }
        guard let transfer = knownState else {
            guard let state else { throw .missingField(type: type, field: "progress.state") }
            throw .invalidField(field: "progress.state", reason: "unknown state '\(state.prefix(40))'")
        }
        return ProgressReport(name: name, state: transfer, percent: percent,
                              resultCode: resultCode, resultMessage: resultMessage)
    }
}

/// The message types of the protocol, matched on raw bytes.
enum KnownType: String, CaseIterable {
    case createUploadTask = "create_upload_task"
    case createUploadTaskResponse = "create_upload_task_rsp"
    case getDownloadTask = "get_download_task"
    case getDownloadTaskResponse = "get_download_task_rsp"
    case download
    case reportUploadProgress = "report_upload_progress"
    case reportDownloadProgress = "report_download_progress"
    case reportUploadProgressResponse = "report_upload_progress_rsp"
    case reportDownloadProgressResponse = "report_download_progress_rsp"
    case uploadResult = "upload_result"

    /// Matched by length, then byte for byte: no String, no array to retain per message.
    init?(_ raw: UnsafeBufferPointer<UInt8>) {
        switch raw.count {
        case 8 where raw.equals("download"): self = .download
        case 13 where raw.equals("upload_result"): self = .uploadResult
        case 17 where raw.equals("get_download_task"): self = .getDownloadTask
        case 18 where raw.equals("create_upload_task"): self = .createUploadTask
        case 21 where raw.equals("get_download_task_rsp"): self = .getDownloadTaskResponse
        case 22 where raw.equals("create_upload_task_rsp"): self = .createUploadTaskResponse
        case 22 where raw.equals("report_upload_progress"): self = .reportUploadProgress
        case 24 where raw.equals("report_download_progress"): self = .reportDownloadProgress
        case 26 where raw.equals("report_upload_progress_rsp"): self = .reportUploadProgressResponse
        case 28 where raw.equals("report_download_progress_rsp"): self = .reportDownloadProgressResponse
        default: return nil
        }
    }
}

extension TransferState {
    /// Matched on raw bytes, like the message types: no String made for every progress report.
    init?(_ raw: UnsafeBufferPointer<UInt8>) {
        switch raw.count {
        case 4 where raw.equals("done"): self = .done
        case 4 where raw.equals("fail"): self = .fail
        case 9 where raw.equals("uploading"): self = .uploading
        case 11 where raw.equals("downloading"): self = .downloading
        default: return nil
        }
    }
}
