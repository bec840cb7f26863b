import ArgumentParser
import Broker
import Foundation

/// How `record`, `replay`, `top` and `simulate` reach a broker: client id, protocol version, credentials, TLS files
/// and keep-alive (the broker URL itself is each command's own option).
struct BrokerOptions: ParsableArguments {
    @Option(help: "MQTT client id (default: restrace-HOSTNAME for record, restrace-replay-PID for replay, restrace-top-PID for top; with simulate, the prefix of each device's).") var clientID: String?
    @Option(help: "MQTT protocol version: 3.1.1 or 5.") var mqttVersion: String = "3.1.1"
    @Option(help: "User name.") var username: String?
    @Option(help: "A file holding the password (or set RESTRACE_PASSWORD). Never give it on the command line.") var passwordFile: String?
    @Option(help: "CA certificate file for mqtts://.") var cafile: String?
    @Option(help: "Client certificate file.") var cert: String?
    @Option(help: "Client key file.") var key: String?
    @Option(help: "Keep-alive in seconds.") var keepAlive: Int32 = 30

    func validate() throws {
        guard SessionOptions.ProtocolVersion(rawValue: mqttVersion) != nil else { throw ValidationError("--mqtt-version must be 3.1.1 or 5") }
        guard keepAlive == 0 || (5...65535).contains(keepAlive) else { throw ValidationError("--keep-alive must be 0 (off) or 5 to 65535 seconds") }
        try checkClientID(clientID)
        for (option, path) in [("--cafile", cafile), ("--cert", cert), ("--key", key), ("--password-file", passwordFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) { throw ValidationError("cannot read \(option) \(path)") }
        }
    }

    /// The session options these give, with `defaultClientID` when none was given.
    func session(defaultClientID: String) throws -> SessionOptions {
        var o = SessionOptions()
        o.clientID = clientID ?? defaultClientID
        o.protocolVersion = SessionOptions.ProtocolVersion(rawValue: mqttVersion)!
        o.username = username
        o.password = try password()
        o.caFile = cafile
        o.certFile = cert
        o.keyFile = key
        o.keepAlive = keepAlive
        return o
    }

    private func password() throws -> String? {
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw ValidationError("cannot read --password-file \(passwordFile)")
            }
            return text.trimmingCharacters(in: .newlines)
        }
        return ProcessInfo.processInfo.environment["RESTRACE_PASSWORD"]
    }
}
