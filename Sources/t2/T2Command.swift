import ArgumentParser

/// The root `t2` command; ArgumentParser's own `main()` parses the arguments, runs the chosen
/// subcommand and maps errors to exit codes (``ExitCodes``).
@main
struct T2Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
            ReportCommand.self,
            ServeCommand.self,
        ],
        defaultSubcommand: nil
    )

    init() {}
}

/// The version printed by `t2 --version`.
enum T2Version {
    static let current = "0.1.0"
}
