import ArgumentParser

/// The root `t2` command; ArgumentParser's own `main()` parses the arguments, runs the chosen
/// subcommand and maps errors to exit codes (0, 1, 64, 130: the help text lists them).
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

            Exit codes: 0 success; 1 a run that produced no valid result (bad input data, an unreadable or \
            unwritable file, a failed fit, every bench request failed); 64 a usage error (a missing or \
            invalid flag); 130 interrupted (Ctrl-C; results so far are kept). Every `--format json` document \
            carries a `schema` string (docs/json.md).
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
