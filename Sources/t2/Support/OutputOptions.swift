import ArgumentParser
import Foundation
import Optimization
import Tabular

/// How a command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Aligned columns for people.
    case table
    /// One JSON document (stable keys, for scripts).
    case json
    /// Comma-separated rows, where the result is a list.
    case csv
}

/// `--format` and `--out`, shared by the commands.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv (csv where the result is a list).")
    var format: OutputFormat = .table

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the result (JSON, or CSV with --format csv) to this file; written atomically.",
            valueName: "file"
        )
    )
    var out: String?

    init() {}
}

/// Writes what commands print: results to stdout, diagnostics and progress to stderr.
enum Console {
    /// Where output goes while a command runs inside `t2 serve` (nil: the process's stdout and
    /// stderr). A task-local, so that concurrent requests never mix their output.
    @TaskLocal static var capture: OutputCapture?

    /// Prints `text` to standard output.
    static func output(_ text: String) {
        if let capture {
            capture.stdout.withLock { $0 += text + "\n" }
            return
        }
        print(text)
    }

    /// Prints `message` to standard error, prefixed by `warning:` (or the given label).
    static func warn(_ message: String, label: String = "warning") {
        if let capture {
            capture.stderr.withLock { $0 += "\(label): \(message)\n" }
            return
        }
        FileHandle.standardError.write(Data("\(label): \(message)\n".utf8))
    }

    /// Prints an informational note to standard error.
    static func note(_ message: String) {
        warn(message, label: "note")
    }

    /// Whether standard error is a terminal (progress is shown only then).
    static var stderrIsTerminal: Bool { isatty(2) != 0 }
}

/// What a command printed while ``Console/capture`` was set.
final class OutputCapture: Sendable {
    let stdout = Locked("")
    let stderr = Locked("")
}

/// JSON encoding with sorted keys and pretty printing, for stable, diffable output.
enum JSONOutput {
    /// Encodes `value` as pretty, key-sorted JSON text.
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        let data = try encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }
}
