import CoreMetrics
import FlyingFox
import FlyingSocks
import Foundation
import Prometheus

/// `record --metrics HOST:PORT`: Prometheus text at `/metrics`, `/livez` (200 while the process
/// runs) and `/readyz` (200 when connected and subscribed, else 503). It bootstraps the metrics
/// system, so it is made before the recorder (whose counters are made with it).
final class MetricsEndpoint: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let server: HTTPServer
    private let readiness = Locked<@Sendable () -> Bool>({ false })
    let address: String

    /// Binds `address` (`HOST:PORT`, `:PORT` for every interface) and serves on the cooperative
    /// thread pool; throws when it cannot listen (the port is taken, say).
    init(address: String, version: String) throws {
        self.address = address
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw MetricsEndpointError("--metrics \(address): expected HOST:PORT, such as 127.0.0.1:9464")
        }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        do {
            server = host.isEmpty ? HTTPServer(address: sockaddr_in.inet(port: port), logger: .disabled)
                : host.contains(":") ? HTTPServer(address: try sockaddr_in6.inet6(ip6: host, port: port), logger: .disabled)
                : HTTPServer(address: try sockaddr_in.inet(ip4: host, port: port), logger: .disabled)
        } catch {
            throw MetricsEndpointError("--metrics \(address): \(host) is not an IP address")
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        registry.makeGauge(name: "restrace_build_info", labels: [("version", version)]).set(1.0)

        let started = Locked<Result<Void, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task { [server, registry, readiness] in
            await server.appendRoute("GET /metrics") { _ in
                var text: [UInt8] = []
                registry.emit(into: &text)
                return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: Data(text))
            }
            await server.appendRoute("GET /livez") { _ in HTTPResponse(statusCode: .ok, body: Data("ok\n".utf8)) }
            await server.appendRoute("GET /readyz") { _ in
                readiness.value()
                    ? HTTPResponse(statusCode: .ok, body: Data("ready: connected and subscribed\n".utf8))
                    : HTTPResponse(statusCode: .serviceUnavailable, body: Data("not ready: not connected to the broker\n".utf8))
            }
            let run = Task { try await server.run() }
            do {
                try await server.waitUntilListening(timeout: 5)
                started.value = .success(())
            } catch {
                // The server's own error (the port is taken) says more than the wait's.
                run.cancel()
                var reason = error
                do { try await run.value } catch let e { reason = e }
                started.value = .failure(reason)
            }
            done.signal()
            _ = try? await run.value
        }
        done.wait()
        if case .failure(let error)? = started.value {
            throw MetricsEndpointError("--metrics \(address): cannot listen: \(error)")
        }
    }

    /// What `/readyz` asks.
    func readyWhen(_ ready: @escaping @Sendable () -> Bool) { readiness.value = ready }
}

/// A value shared between threads and tasks, behind a lock.
final class Locked<T>: @unchecked Sendable {
    // @unchecked: `stored` is only touched with `lock` held.
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

struct MetricsEndpointError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
