import Broker
import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto on a free loopback port, started for one test and stopped after it.
final class TestBroker {
    let port: Int
    let directory: String
    private var process: Process?
    private let extraConfig: String

    var url: BrokerURL { BrokerURL(host: "127.0.0.1", port: port) }

    private let allowAnonymous: Bool

    init(config: String = "", persistence: Bool = false, allowAnonymous: Bool = true) throws {
        self.allowAnonymous = allowAnonymous
        port = Self.freePort()
        directory = NSTemporaryDirectory() + "restrace-broker-\(UUID().uuidString)"
        // mosquitto drops to its own user when started as root: it must be able to write here.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        var c = config
        if persistence { c += "\npersistence true\npersistence_location \(directory)/\nautosave_interval 1\n" }
        extraConfig = c
        try start()
    }

    func start() throws {
        let conf = directory + "/mosquitto.conf"
        let text = """
        listener \(port) 127.0.0.1
        allow_anonymous \(allowAnonymous)
        set_tcp_nodelay true
        max_queued_messages 0
        max_inflight_messages 0
        \(extraConfig)
        """
        try text.write(toFile: conf, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.mosquittoPath)
        p.arguments = ["-c", conf]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        // A child inherits the signal mask of the thread that starts it, and the test runner's
        // threads block SIGTERM and SIGINT: unblocked here, so that mosquitto can be stopped.
        var signals = sigset_t(), previous = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_UNBLOCK, &signals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try p.run()
        process = p
        for _ in 0..<200 {
            if Self.canConnect(port) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw NSError(domain: "TestBroker", code: 1, userInfo: [NSLocalizedDescriptionKey: "mosquitto did not start on port \(port)"])
    }

    func stop() {
        guard let p = process else { return }
        process = nil
        guard p.isRunning else { return }
        if paused { kill(p.processIdentifier, SIGCONT); Thread.sleep(forTimeInterval: 0.1) }
        kill(p.processIdentifier, SIGTERM)
        // mosquitto exits after saving its state. (Probing the port instead kept it busy with
        // new connections: every stop took the whole 5 s and ended in SIGKILL.)
        if !waitUntil(5, { !p.isRunning }) { kill(p.processIdentifier, SIGKILL) }
        _ = waitUntil(1) { !p.isRunning }
    }

    /// Freezes the broker (SIGSTOP): connections stay open, but nothing is read or acknowledged.
    func pause() { if let p = process { kill(p.processIdentifier, SIGSTOP); paused = true } }
    private var paused = false

    deinit {
        stop()
        cleanup(directory)
    }

    static var mosquittoPath: String {
        for p in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        return "/usr/sbin/mosquitto"
    }

    /// A port the kernel just gave out (never 1883).

    static func freePort() -> Int { LoopbackPort.free() }
    static func canConnect(_ port: Int) -> Bool { LoopbackPort.accepts(port) }
}

/// A publishing client for tests.
func publisher(_ broker: TestBroker, id: String, version: SessionOptions.ProtocolVersion = .v311) throws -> MosquittoSession {
    var o = SessionOptions()
    o.clientID = id
    o.protocolVersion = version
    let s = try MosquittoSession(broker: broker.url, options: o)
    try s.connect(giveUpAfter: .seconds(5))
    return s
}

/// Waits until `condition` holds or `timeout` seconds pass.
func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
    let end = Date(timeIntervalSinceNow: timeout)
    while Date() < end { if condition() { return true }; Thread.sleep(forTimeInterval: 0.02) }
    return condition()
}
