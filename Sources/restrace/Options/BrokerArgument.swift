import ArgumentParser
import Broker

/// `--broker URL`, checked while the command line is validated: a bad URL is bad usage (exit 2).
func brokerArgument(_ text: String) throws -> BrokerURL {
    do { return try BrokerURL(parsing: text) } catch { throw ValidationError("\(error)") }
}
