/// One `$resource` message, typed. See docs/protocol.md for the fields of each type.
public enum ResourceMessage: Sendable, Equatable {
    case createUploadTask(FileInfo)
    case createUploadTaskResponse(FileInfo)
    case reportUploadProgress(ProgressReport)
    case reportUploadProgressResponse(PlatformResult)
    case getDownloadTask
    case getDownloadTaskResponse(FileInfo)
    /// Undocumented push of a download task; handled like `getDownloadTaskResponse`.
    case download(FileInfo)
    case reportDownloadProgress(ProgressReport)
    case reportDownloadProgressResponse(PlatformResult)
    /// Undocumented: the platform's verdict on an upload (`report.progress.result_code`).
    case uploadResult(resultCode: Int64?)
    /// A JSON object whose `type` is unknown (or missing: `nil`).
    case unrecognized(type: String?)

    /// The wire name of the message type, or the unknown type as given.
    public var typeName: String? {
        switch self {
        case .createUploadTask: "create_upload_task"
        case .createUploadTaskResponse: "create_upload_task_rsp"
        case .reportUploadProgress: "report_upload_progress"
        case .reportUploadProgressResponse: "report_upload_progress_rsp"
        case .getDownloadTask: "get_download_task"
        case .getDownloadTaskResponse: "get_download_task_rsp"
        case .download: "download"
        case .reportDownloadProgress: "report_download_progress"
        case .reportDownloadProgressResponse: "report_download_progress_rsp"
        case .uploadResult: "upload_result"
        case .unrecognized(let type): type
        }
    }
}

/// The file a task is about: `size`, `name`, `md5sum`, and the `url` where the platform gives one.
public struct FileInfo: Sendable, Equatable {
    public var name: String
    public var size: Int64?
    public var md5sum: String?
    public var url: String?

    public init(name: String, size: Int64? = nil, md5sum: String? = nil, url: String? = nil) {
        self.name = name
        self.size = size
        self.md5sum = md5sum
        self.url = url
    }
}

/// A device's `report_*_progress`.
public struct ProgressReport: Sendable, Equatable {
    public var name: String
    public var state: TransferState
    /// As reported: may be missing on final reports, above 100 or negative (32-bit overflow).
    public var percent: Int64?
    public var resultCode: Int64?
    public var resultMessage: String?

    public init(name: String, state: TransferState, percent: Int64? = nil,
                resultCode: Int64? = nil, resultMessage: String? = nil) {
        self.name = name
        self.state = state
        self.percent = percent
        self.resultCode = resultCode
        self.resultMessage = resultMessage
    }
}

/// The platform's answer to a progress report: `result_code` 0 accepts, anything else rejects.
public struct PlatformResult: Sendable, Equatable {
    public var resultCode: Int64?
    public var resultMessage: String?

    public init(resultCode: Int64?, resultMessage: String?) {
        self.resultCode = resultCode
        self.resultMessage = resultMessage
    }

    /// True when the platform rejected the report.
    public var isRejection: Bool { (resultCode ?? 0) != 0 }
}

/// `progress.state` as real clients send it.
public enum TransferState: String, Sendable, Equatable, CaseIterable {
    case uploading, downloading, done, fail

    /// True for `done` and `fail`.
    public var isFinal: Bool { self == .done || self == .fail }
}

/// Device result codes and what they mean (docs/protocol.md).
public enum ResultCode {
    /// The usual message for a device result code, or nil if the code is not a known one.
    public static func meaning(_ code: Int64) -> String? {
        switch code {
        case 0: "success"
        case -1: "time_out"
        case -2: "file_not_exist"
        case -3: "sign invalid"
        case -4: "md5sum not matched"
        default: nil
        }
    }
}
