import Foundation
import T2TestSupport
import Testing

/// The README's transcripts are real: every `$ swift run -c release t2 …` in a `console` block is
/// run with the built t2 from the repository root, and each line the README shows must appear in
/// what t2 prints (standard error, then standard output), in the same order. A trimmed transcript
/// ("rows trimmed") passes if the lines it keeps are unchanged; a changed number fails.
@Suite("README transcripts match what t2 prints", .timeLimit(.minutes(5)))
struct ReadmeTranscriptTests {
    /// One `$ command` and the lines the README shows under it.
    struct Transcript: CustomTestStringConvertible, Sendable {
        var command: String
        var lines: [String]
        var testDescription: String { command }
    }

    /// Commands the test cannot replay: `t2 serve` runs until stopped and prints a random port.
    static let notReplayable = ["serve"]

    static func transcripts() throws -> [Transcript] {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        var result: [Transcript] = []
        var inConsole = false
        var current: Transcript?
        var continued = false  // the command's last line ended in a backslash
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                if let c = current { result.append(c) }
                current = nil
                inConsole = !inConsole && line == "```console"
                continue
            }
            guard inConsole else { continue }
            if line.hasPrefix("$ ") || continued {
                if line.hasPrefix("$ "), let c = current { result.append(c) }
                let part = line.hasPrefix("$ ") ? String(line.dropFirst(2)) : line
                continued = part.hasSuffix("\\")
                let words = (continued ? String(part.dropLast()) : part).trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("$ ") {
                    current = Transcript(command: words, lines: [])
                } else {
                    current?.command += " " + words
                }
            } else {
                current?.lines.append(line)
            }
        }
        return result
    }

    static func replayable() throws -> [Transcript] {
        try transcripts().filter { t in
            t.command.hasPrefix("swift run -c release t2 ")
                && !notReplayable.contains(where: { t.command.hasPrefix("swift run -c release t2 \($0)") })
        }
    }

    @Test("the README shows the main commands' transcripts")
    func found() throws {
        let commands = try Self.replayable().map(\.command)
        for expected in ["t2 plan", "t2 cost", "t2 fit", "t2 passk"] {
            #expect(
                commands.contains { $0.contains(expected) },
                "no transcript of \(expected) in README.md: \(commands)"
            )
        }
    }

    @Test("each transcript line appears in t2's output, in order", arguments: try replayable())
    func replay(_ transcript: Transcript) async throws {
        // Words split on spaces: a README command with quotes would need a shell to replay.
        #expect(
            !transcript.command.contains("'") && !transcript.command.contains("\""),
            "README.md, `\(transcript.command)`: quoted arguments are not replayed; write the command without quotes"
        )
        let arguments = transcript.command.dropFirst("swift run -c release t2 ".count)
            .split(separator: " ").map(String.init)
        let result = try await T2Binary.runAsync(arguments, directory: Repository.root)
        #expect(result.status == 0, "\(transcript.command) exited \(result.status): \(result.stderr)")
        let output = (result.stderr + result.stdout).split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacing(/\s+$/, with: "") }
        var next = 0
        for line in transcript.lines.map({ $0.replacing(/\s+$/, with: "") }) where !line.isEmpty {
            guard let found = output[next...].firstIndex(of: line) else {
                Issue.record(
                    """
                    README.md, `\(transcript.command)`: this line is not in t2's output (after line \(next)):
                      \(line)
                    t2 printed:
                    \(output.joined(separator: "\n"))
                    """
                )
                return
            }
            next = found + 1
        }
    }
}
