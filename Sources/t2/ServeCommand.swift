import ArgumentParser
import Foundation
import InferenceCost
import Optimization
import Serving

/// `t2 serve`: the planner, the cost model and the fits in the browser, and a JSON API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "A local web app: plan, price and fit in the browser, with charts; a JSON API mirroring the CLI.",
        discussion: """
            Pages: / (the planner: budget in FLOPs or dollars, queries, tokens per sample, law, \
            hardware, quantization), /cost (a deployment against load), /fit (upload runs or \
            counts, fit a law, plan with it). Plain HTML forms: no script, no external request, a \
            strict Content-Security-Policy.

            The JSON API answers exactly what the command line prints: query parameters are the \
            flags in snake_case.
              curl 'http://127.0.0.1:8080/api/plan?train_flops=1e21&inference_flops=1e10'
                  = t2 plan --train-flops 1e21 --inference-flops 1e10 --format json
              curl 'http://127.0.0.1:8080/api/cost?model=llama-3.1-8b&quant=fp8&hardware=h100-sxm'
              curl --data-binary @runs.csv 'http://127.0.0.1:8080/api/fit?bootstrap=100'
            Errors answer status 400 with the command line's message.

            The first line on standard output is the URL (with the port chosen when --port 0).
            Stop with Ctrl-C.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Address to listen on: 127.0.0.1 (the default) is this machine only; anything else lets others on the network use it, without authentication.",
            valueName: "address"
        )
    )
    var host: String = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("Port to listen on; 0 picks a free one.", valueName: "n"))
    var port: Int = 8080

    @Option(
        name: .customLong("max-upload-mb"),
        help: ArgumentHelp("Largest CSV upload accepted, in MB.", valueName: "MB")
    )
    var maxUploadMB: Double = 32

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Calibration JSON from `t2 calibrate` (e.g. fitted to your own `t2 bench --measurements-out` rows): every cost view and dollar plan the server answers uses it, as `--calibration` does on the command line. Default: the built-in calibration.",
            valueName: "file"
        )
    )
    var calibration: String?

    init() {}

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port is 0 (any free port) to 65535; got \(port).")
        }
        guard maxUploadMB > 0, maxUploadMB <= 4096, maxUploadMB.isFinite else {
            throw ValidationError("--max-upload-mb is a size in MB between 0 and 4096; got \(maxUploadMB).")
        }
        guard !host.isEmpty else { throw ValidationError("--host needs an address, e.g. 127.0.0.1.") }
    }

    func run() async throws {
        // Read once before listening, so a bad file is the command line's error, not every page's.
        var calibrationPath: String?
        if let calibration {
            _ = try Calibration.read(contentsOf: calibration)
            calibrationPath = URL(fileURLWithPath: calibration).standardizedFileURL.path
        }
        let configuration = ServeConfiguration(
            host: host,
            port: port,
            maxUploadBytes: Int(maxUploadMB * 1_048_576),
            version: "t2 \(T2Version.current)"
        )
        if !configuration.isLoopback {
            Console.warn(
                "listening on \(host): anyone who can reach this machine on port \(port) can use this server (no authentication, no TLS). Keep the default --host 127.0.0.1 unless you mean it."
            )
        }
        if let calibrationPath {
            Console.note("cost views and dollar plans use the calibration in \(calibrationPath)")
        }
        try await T2Server.run(configuration, runner: InProcessRunner(calibration: calibrationPath)) { url in
            // The first line on stdout is the URL, flushed at once so that scripts can read it.
            FileHandle.standardOutput.write(Data((url + "\n").utf8))
            FileHandle.standardError.write(Data("t2 serve: open \(url) in a browser; Ctrl-C stops it\n".utf8))
        }
    }
}

/// Runs t2 subcommands inside this process, through the same parsing, library entry point and
/// rendering as the command line, with their output captured (``Console/capture``).
struct InProcessRunner: CommandRunner {
    /// Subcommands the server may run: nothing that reaches the network or writes where the request says.
    static let allowed: Set<String> = ["plan", "cost", "fit", "passk"]

    /// The calibration file given to `t2 serve --calibration` (nil: the built-in one).
    var calibration: String? = nil

    /// The command line with the server's calibration added where the command line takes it:
    /// every `cost`, and `plan` in dollars (a FLOP plan prices nothing).
    func withCalibration(_ arguments: [String]) -> [String] {
        guard let calibration, let name = arguments.first else { return arguments }
        let dollars = arguments.contains { $0.hasPrefix("--budget-usd") }
        guard name == "cost" || (name == "plan" && dollars) else { return arguments }
        return arguments + ["--calibration=" + calibration]
    }

    func run(_ requested: [String]) async -> CommandResult {
        guard let name = requested.first, Self.allowed.contains(name) else {
            return CommandResult(status: 64, stdout: "", stderr: "Error: not a command this server runs")
        }
        let arguments = withCalibration(requested)
        let capture = OutputCapture()
        var status: Int32 = 0
        await Console.$capture.withValue(capture) {
            do {
                var command = try T2Command.parseAsRoot(arguments)
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                status = T2Command.exitCode(for: error).rawValue
                if status != 0 {
                    capture.stderr.withLock { $0 += "Error: " + T2Command.message(for: error) + "\n" }
                }
            }
        }
        return CommandResult(
            status: status,
            stdout: capture.stdout.withLock { $0 },
            stderr: capture.stderr.withLock { $0 }
        )
    }
}
