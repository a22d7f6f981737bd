import ArgumentParser

/// The root `t2` command.
public struct T2Command: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "t2",
        abstract: "Train-to-test compute planning: fit scaling laws, price inference, choose N, D and k.",
        discussion: """
            t2 answers: given what I can spend and how my model will be used, what model should I \
            train (parameters N, tokens D), how many samples k should each query draw, on what \
            hardware and quantization should I serve it, and what will each token cost?

            Start with `t2 plan` (built-in law and budget), then bring your own runs to `t2 fit`.
            """,
        version: T2Version.current,
        subcommands: [
            PlanCommand.self,
            FitCommand.self,
            PasskCommand.self,
            CostCommand.self,
            CalibrateCommand.self,
            BenchCommand.self,
            SampleCommand.self,
        ],
        defaultSubcommand: nil
    )

    public init() {}
}

/// The version printed by `t2 --version`.
public enum T2Version {
    public static let current = "0.1.0"
}

extension T2Command {
    /// Parses the process arguments and runs the chosen subcommand, sync or async; prints errors
    /// and exits with ArgumentParser's exit codes.
    public static func runMain(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
