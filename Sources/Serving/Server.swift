import Foundation
import Hummingbird
import Logging
import NIOCore
import Plotting
import Reports

/// How `t2 serve` listens.
public struct ServeConfiguration: Sendable {
    /// The address to bind (127.0.0.1 by default: only this machine can connect).
    public var host: String
    /// The port (0: any free port; the URL printed says which).
    public var port: Int
    /// The largest upload accepted, in bytes.
    public var maxUploadBytes: Int
    /// "t2 0.1.0", for the page footers.
    public var version: String

    public init(host: String = "127.0.0.1", port: Int = 8080, maxUploadBytes: Int = 32 << 20, version: String) {
        self.host = host
        self.port = port
        self.maxUploadBytes = maxUploadBytes
        self.version = version
    }

    /// Whether only this machine can reach the server.
    public var isLoopback: Bool { ["127.0.0.1", "localhost", "::1"].contains(host.lowercased()) }
}

/// The local web app: the planner, the cost model and the fits in the browser, and a JSON API
/// that mirrors the command line.
public enum T2Server {
    /// Serves until SIGINT/SIGTERM. `onListening` gets the URL once the socket is bound (with the
    /// real port when `port` is 0).
    public static func run(
        _ configuration: ServeConfiguration,
        runner: any CommandRunner,
        onListening: @escaping @Sendable (String) -> Void
    ) async throws {
        let site = try await Site(configuration: configuration, runner: runner)
        var logger = Logger(label: "t2.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            await site.respond(to: request)
        }
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
                onListening("http://\(host):\(port)")
            },
            logger: logger
        )
        try await app.runService()
        await site.cleanUp()
    }
}
