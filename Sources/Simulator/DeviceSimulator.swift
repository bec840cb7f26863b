import Foundation

/// One simulated device and the platform's side of its transfers, one session at a time.
struct DeviceSimulator {
    let index: Int
    let product: String
    let device: String
    let dialect: Dialect
    let options: SimulationOptions
    var rng: SeededRandom
    /// When the next session starts; `.max` once the device went silent for good.
    var clock: UInt64
    private var retry: (kind: String, file: String, size: Int64, md5: String)?
    private var session: [SimulatedMessage] = []

    static let deviceResultMessages: [Int64: String] = [-1: "time_out", -2: "file_not_exist", -3: "sign invalid", -4: "md5sum not matched"]
    static let platformRejections: [(Int64, String)] = [(403, "quota exceeded"), (1001, "task expired"), (500, "internal error")]

    init(index: Int, options: SimulationOptions) {
        self.index = index
        self.options = options
        rng = SeededRandom(seed: options.seed &* 0x100000001B3 &+ UInt64(index) &* 0x9E3779B97F4A7C15)
        product = String(format: "TESTPROD%02d", index % max(1, options.products) + 1)
        let stems = ["cam", "lock_", "sensor.", "gate-", "设备-"]
        device = stems[index % stems.count] + String(format: "%03d", index)
        dialect = index % 3 == 2 ? .pythonSDK : .cSDK(numbersAsStrings: index % 5 == 3)
        clock = options.start + UInt64(index % 97) * 137_000_000
        _ = rng.next()
    }

    private var up: String { "$resource/up/service/\(product)/\(device)" }
    private var down: String { "$resource/down/service/\(product)/\(device)" }

    private mutating func emit(_ t: UInt64, fromPlatform: Bool, qos: UInt8, _ payload: String, _ fault: SimulatedMessage.Fault? = nil) {
        session.append(SimulatedMessage(time: t / 1_000_000 * 1_000_000, topic: fromPlatform ? down : up, qos: qos,
                                        payload: Array(payload.utf8), device: index, fromPlatform: fromPlatform, fault: fault))
    }

    private func seconds(_ s: Double) -> UInt64 { UInt64(s * 1e9) }

    /// The messages of the next session, in time order (empty once the device is silent for good).
    mutating func nextSession() -> [SimulatedMessage] {
        session = []
        guard clock != .max else { return [] }
        var t = clock
        if let r = retry {
            retry = nil
            if r.kind == "upload" { requestUpload(at: &t, file: r.file, size: r.size, md5: r.md5) }
            else { offerDownload(at: &t, file: r.file, size: r.size, md5: r.md5) }
        } else if rng.chance(options.idlePollRate) {
            emit(t, fromPlatform: false, qos: 1, dialect.getDownloadTask, .idlePoll)
            t += seconds(0.5)
        } else {
            let (size, md5) = newFile()
            if rng.chance(0.5) {
                let file = rng.pick(["face_\(rng.next() % 40).jpg", "snapshot-\(rng.next() % 40).png", "log_\(rng.next() % 20).tar.gz"])
                if case .cSDK = dialect, rng.chance(options.malformedRate) {
                    let bad = "my \"best\" face_\(rng.next() % 10).jpg"
                    emit(t, fromPlatform: false, qos: 1, dialect.createUploadTask(name: bad, size: size, md5: md5), .malformed)
                    t += seconds(10)
                } else {
                    requestUpload(at: &t, file: file, size: size, md5: md5)
                }
            } else {
                let file = rng.pick(["firmware-v2.\(rng.next() % 9).bin", "facelib_\(rng.next() % 30).db", "music-\(rng.next() % 30).mp3"])
                offerDownload(at: &t, file: file, size: size, md5: md5)
            }
        }
        if clock != .max { clock = t + seconds(rng.uniform(5, 30)) }
        return session
    }

    private mutating func newFile() -> (Int64, String) {
        let size: Int64 = rng.chance(options.largeFileRate)
            ? Int64(rng.uniform(44e6, 60e6))
            : Int64(rng.logUniform(20_000, 8_000_000))
        let md5 = String(format: "%016llx%016llx", rng.next(), rng.next())
        return (size, md5)
    }

    private mutating func requestUpload(at t: inout UInt64, file: String, size: Int64, md5: String) {
        let name = dialect.name(file)
        emit(t, fromPlatform: false, qos: 1, dialect.createUploadTask(name: name, size: size, md5: md5))
        if rng.chance(options.unansweredRate) {
            session[session.count - 1].fault = .unanswered
            retry = ("upload", file, size, md5)
            t += seconds(10)
            return
        }
        t += seconds(rng.uniform(0.1, 0.4))
        let url = Platform.url(product: product, device: device, name: name, expires: t + seconds(3600), token: rng.next())
        emit(t, fromPlatform: true, qos: 1, Platform.offer(type: "create_upload_task_rsp", name: name, size: size, md5: md5, url: url))
        t += seconds(0.2)
        transfer(kind: "upload", at: &t, file: file, size: size, md5: md5)
    }

    private mutating func offerDownload(at t: inout UInt64, file: String, size: Int64, md5: String) {
        let url = Platform.url(product: product, device: device, name: file, expires: t + seconds(3600), token: rng.next())
        if rng.chance(0.6) {
            emit(t, fromPlatform: false, qos: 1, dialect.getDownloadTask)
            t += seconds(rng.uniform(0.1, 0.3))
            emit(t, fromPlatform: true, qos: 1, Platform.offer(type: "get_download_task_rsp", name: file, size: size, md5: md5, url: url))
        } else {
            for k in 0..<(1 + Int(rng.next() % 3)) {
                if k > 0 { t += seconds(3) }
                emit(t, fromPlatform: true, qos: 1, Platform.offer(type: "download", name: file, size: size, md5: md5, url: url))
            }
        }
        t += seconds(0.5)
        transfer(kind: "download", at: &t, file: file, size: size, md5: md5)
    }

    private enum Outcome { case success, failure, rejection, stall, pause }

    /// Progress at 0 %, every `progressInterval` (a second by default), 100 %, then `done` (or a
    /// fault), each answered by a `_rsp`.
    private mutating func transfer(kind: String, at t: inout UInt64, file: String, size: Int64, md5: String) {
        let name = kind == "upload" ? dialect.name(file) : file
        let rate = rng.logUniform(20_000, 2_000_000)
        let duration = min(60, max(3, Double(size) / rate))
        let roll = rng.unit()
        var outcome = Outcome.success
        var edge = 0.0
        for (rate, o) in [(options.failureRate, Outcome.failure), (options.rejectionRate, .rejection),
                          (options.stallRate, .stall), (options.pauseRate, .pause)] {
            edge += rate
            if roll < edge { outcome = o; break }
        }
        let breakAt = rng.uniform(0.1, 0.9)
        let state = kind == "upload" ? "uploading" : "downloading"
        let overflow = size > 42_949_672
        var elapsed = 0.0
        let step = options.progressInterval.seconds  // once: a Duration's seconds are worked out from its parts
        var paused = false
        var overflowTagged = false
        while true {
            let fraction = min(1, elapsed / duration)
            var percent = Int64(fraction * 100)
            if overflow {
                let sent = Int64(fraction * Double(size))
                percent = Int64(Int32(truncatingIfNeeded: sent &* 100)) / size
            }
            let fault: SimulatedMessage.Fault? = overflow && !overflowTagged && fraction > 0.5 ? .overflow : nil
            if fault != nil { overflowTagged = true }
            if outcome == .stall, fraction >= breakAt {
                emit(t, fromPlatform: false, qos: dialect.progressQoS,
                     dialect.progress(kind: kind, name: name, state: state, percent: percent, code: 0, message: ""), .stall)
                emit(t + seconds(0.05), fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
                clock = .max
                return
            }
            emit(t, fromPlatform: false, qos: dialect.progressQoS,
                 dialect.progress(kind: kind, name: name, state: state, percent: percent, code: 0, message: ""), fault)
            let rspAt = t + seconds(rng.uniform(0.03, 0.08))
            if outcome == .rejection, fraction >= breakAt {
                let (code, msg) = rng.pick(Self.platformRejections)
                emit(rspAt, fromPlatform: true, qos: 1, Platform.response(kind: kind, code: code, message: msg), .failure("\(kind)/platform/\(code)"))
                t = rspAt + seconds(0.2)
                emit(t, fromPlatform: false, qos: 1, dialect.progress(kind: kind, name: name, state: "fail", percent: nil, code: -1, message: "time_out"))
                emit(t + seconds(0.05), fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
                retry = (kind, file, size, md5)
                t += seconds(10)
                return
            }
            emit(rspAt, fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
            if outcome == .failure, fraction >= breakAt {
                let code = -Int64(1 + rng.next() % 4)
                t += seconds(rng.uniform(0.3, 1))
                emit(t, fromPlatform: false, qos: 1, dialect.progress(kind: kind, name: name, state: "fail", percent: nil, code: code,
                                                                      message: Self.deviceResultMessages[code]!), .failure("\(kind)/device/\(code)"))
                emit(t + seconds(0.05), fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
                t += seconds(rng.uniform(0.2, 1))
                emit(t, fromPlatform: false, qos: 1, dialect.progress(kind: kind, name: name, state: "fail", percent: nil, code: -1, message: "time_out"))
                emit(t + seconds(0.05), fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
                if rng.chance(0.7) { retry = (kind, file, size, md5) }
                t += seconds(10)
                return
            }
            if fraction >= 1 { break }
            if outcome == .pause, !paused, fraction >= breakAt {
                paused = true
                session[session.count - 2].fault = .pause
                t += seconds(rng.uniform(20, 90))
            }
            t += seconds(step)
            elapsed += step
        }
        t += seconds(kind == "upload" ? 2 : 1)
        emit(t, fromPlatform: false, qos: 1, dialect.progress(kind: kind, name: name, state: "done", percent: nil, code: 0, message: ""), .done(kind))
        emit(t + seconds(rng.uniform(0.03, 0.08)), fromPlatform: true, qos: 1, Platform.response(kind: kind, code: 0, message: ""))
        t += seconds(1)
    }
}
