import ArgumentParser
import Broker

/// `--broker URL`, checked while the command line is validated: a bad URL is bad usage (exit 2).
func brokerArgument(_ text: String) throws -> BrokerURL {
    do { return try BrokerURL(parsing: text) } catch { throw ValidationError("\(error)") }
}

/// True if `text` holds an MQTT wildcard (`+`, `#`) or NUL: not allowed in a topic one publishes
/// to, nor in a name that becomes a topic level.
func hasWildcard(_ text: some StringProtocol) -> Bool {
    text.contains { $0 == "+" || $0 == "#" || $0 == "\0" }
}
