import ArgumentParser
import Foundation

/// The root `t2` command. `main()` parses the arguments, runs the chosen subcommand and maps errors
/// to exit codes (0, 1, 64, 130: the help text lists them), as ArgumentParser's own does.
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

    /// ArgumentParser's `main()`, except for a `ValidationError` thrown by a subcommand's `run()`
    /// (checks that need every option at once, e.g. `t2 bench` without `--url`, which `validate()`
    /// cannot make because `t2 bench merge` parses `bench` first with none of its options):
    /// ArgumentParser would print the root's usage ("Usage: t2 <subcommand>"); this prints the
    /// subcommand's. Exit code 64 either way.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let error as ValidationError where type(of: command) != Self.self {
            FileHandle.standardError.write(Data(usageError(error.message, in: type(of: command)).utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }

    /// The message of a usage error found in `subcommand`'s `run()`, laid out as ArgumentParser
    /// lays out one found while parsing.
    static func usageError(_ message: String, in subcommand: any ParsableCommand.Type) -> String {
        let names = (commandPath(to: subcommand) ?? [subcommand._commandName]).joined(separator: " ")
        return
            "Error: \(message)\nUsage: \(usageString(for: subcommand))\n  See '\(names) --help' for more information.\n"
    }

    /// The command names from `root` down to `target` in the subcommand tree ("t2", "bench"), or
    /// nil when `target` is not in it.
    static func commandPath(
        to target: any ParsableCommand.Type,
        from root: any ParsableCommand.Type = Self.self
    ) -> [String]? {
        if root == target { return [root._commandName] }
        for child in root.configuration.subcommands {
            if let path = commandPath(to: target, from: child) { return [root._commandName] + path }
        }
        return nil
    }
}

/// The version printed by `t2 --version`.
enum T2Version {
    static let current = "0.1.0"
}
