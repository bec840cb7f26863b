import ArgumentParser
import Broker

/// `--broker URL`, checked while the command line is validated: a bad URL is bad usage (exit 2).
func brokerArgument(_ text: String) throws -> BrokerURL {
    do { return try BrokerURL(parsing: text) } catch { throw ValidationError("\(error)") }
}

extension MosquittoSession {
    /// Connects (retrying for up to 30 s) and waits for the broker to accept the session: a
    /// refused login fails at once. Ctrl-C ends either wait.
    func open() throws {
        try connect(giveUpAfter: .seconds(30), shouldStop: { Interrupts.requested })
        try waitUntilConnected(timeout: .seconds(30), shouldStop: { Interrupts.requested })
    }
}

/// Checks `--client-id`: MQTT allows 1 to 65535 bytes (libmosquitto fails later, less clearly).
func checkClientID(_ id: String?) throws {
    if let id, id.isEmpty || id.utf8.count > 65535 { throw ValidationError("--client-id must be 1 to 65535 bytes") }
}

/// True if `text` holds an MQTT wildcard (`+`, `#`) or NUL: not allowed in a topic one publishes
/// to, nor in a name that becomes a topic level.
func hasWildcard(_ text: some StringProtocol) -> Bool {
    text.contains { $0 == "+" || $0 == "#" || $0 == "\0" }
}
