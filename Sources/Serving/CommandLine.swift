import Foundation

/// What running one t2 command printed, and how it ended.
public struct CommandResult: Sendable, Equatable {
    /// The exit status the command line would have had (0 success, 1 no valid result, 64 usage).
    public var status: Int32
    /// What it printed on standard output (exactly, trailing newline included).
    public var stdout: String
    /// Its error message (on failure) and warnings.
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs t2 commands in the server's process, through the same argument parsing, library entry
/// point and rendering as the command line — so that a page or an API answer cannot drift from
/// what `t2 …` prints.
public protocol CommandRunner: Sendable {
    /// Runs `t2 arguments…`.
    func run(_ arguments: [String]) async -> CommandResult
}

/// Why a request's parameters cannot become a command line.
public struct ParameterError: Error, LocalizedError, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}

/// Query parameters named after the CLI's flags in snake_case (`train_flops=1e21` →
/// `--train-flops=1e21`), turned into a command line for one subcommand.
///
/// - A value is passed attached (`--flag=value`), so a negative number is never read as a flag.
/// - `true`/`on`/`yes` gives a bare flag (`pool_levels=true` → `--pool-levels`); `false`/`off`/`no`
///   and empty values (a form field left blank) give nothing.
/// - A key may repeat (`compare=…&compare=…`); order is kept.
/// - Server-side files are never named by a request: `out`, `catalog`, `calibration`,
///   `validate` are refused, `law` must name a law fitted in this server, `format` is the
///   server's to choose.
public enum CLIArguments {
    /// Keys a request may not set, with the reason shown to the user.
    public static let refused: [String: String] = [
        "out": "the server writes no files; save the answer from your browser or client",
        "format": "the API answers JSON and the pages draw charts; the format is not a choice here",
        "catalog": "the server does not read files named in a request; use the built-in catalog",
        "calibration": "the server does not read files named in a request; use the built-in calibration",
        "validate": "the server does not read files named in a request; run t2 cost --validate locally",
        "help": "see the form, or t2 help on the command line",
        "version": "see the page footer",
        "svg": "t2 report's option; the pages draw their charts",
        "threads": "the server chooses how many threads a fit uses",
    ]

    /// `t2 <command> …` for `query`; `laws` maps a law id to its file for `law=<id>`.
    public static func arguments(
        command: String,
        query: [(key: String, value: String)],
        laws: [String: String] = [:]
    ) throws -> [String] {
        var args = [command]
        for (key, value) in query {
            guard isFlagName(key) else {
                throw ParameterError(
                    "'\(key)' is not a parameter name; names are the command's flags in snake_case, e.g. train_flops for --train-flops"
                )
            }
            if let why = refused[key] { throw ParameterError("\(key): \(why)") }
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            let v = value.trimmingCharacters(in: .whitespaces)
            if key == "law" {
                if v.isEmpty || v == "builtin" || v == "built-in" { continue }
                guard let path = laws[v] else {
                    throw ParameterError(
                        "law '\(v)' is not a law fitted in this server; fit one on the Fit page (it gets an id), or leave law empty for the built-in law"
                    )
                }
                args.append("--law=" + path)
                continue
            }
            switch v.lowercased() {
            case "": continue
            case "true", "on", "yes": args.append(flag)
            case "false", "off", "no": continue
            default: args.append(flag + "=" + v)
            }
        }
        return args
    }

    /// Lower-case letters, digits and underscores, starting with a letter.
    static func isFlagName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, key.count <= 48, ("a"..."z").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The command line as a person would type it (for the pages' "same as" line).
    public static func display(_ arguments: [String], replacing paths: [String: String] = [:]) -> String {
        var words = ["t2"]
        for a in arguments {
            var w = a
            for (path, name) in paths { w = w.replacingOccurrences(of: path, with: name) }
            if let eq = w.firstIndex(of: "="), w.hasPrefix("--") {
                words.append(String(w[..<eq]))
                words.append(quote(String(w[w.index(after: eq)...])))
            } else {
                words.append(quote(w))
            }
        }
        return words.joined(separator: " ")
    }

    static func quote(_ s: String) -> String {
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.,:/=+@%"))
        if !s.isEmpty && s.unicodeScalars.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
