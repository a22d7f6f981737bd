import ArgumentParser
import Testing

@testable import t2

/// Every command's and subcommand's `--help`, snapshotted (Tests/t2Tests/Snapshots/help-*.txt):
/// a change to a flag, a default or an explanation shows up as a reviewed diff. Re-record with
/// `T2_RECORD_SNAPSHOTS=1 swift test --filter HelpSnapshot`.
@Suite("HelpSnapshot: every command's --help")
struct HelpSnapshotTests {
    /// The command tree under `t2`, as (path, type): `t2`, `t2 plan`, …, `t2 bench merge`, ….
    static func commands() -> [(path: [String], type: any ParsableCommand.Type)] {
        var out: [(path: [String], type: any ParsableCommand.Type)] = []
        func walk(_ type: any ParsableCommand.Type, _ path: [String]) {
            out.append((path, type))
            for sub in type.configuration.subcommands {
                walk(sub, path + [sub._commandName])
            }
        }
        walk(T2Command.self, ["t2"])
        return out
    }

    @Test("every command's help is snapshotted, explains itself and lists its examples")
    func allHelp() throws {
        let all = Self.commands()
        #expect(all.count >= 10, "the command tree: \(all.map { $0.path.joined(separator: " ") })")
        for (path, type) in all {
            let help = T2Command.helpMessage(for: type, columns: 100)
            let name = "help-" + path.joined(separator: "-") + ".txt"
            #expect(help.contains("OVERVIEW:"), "\(path.joined(separator: " ")) has no overview")
            #expect(!help.contains("\t"), "\(name) has a tab")
            // A string literal broken without `\` keeps its source indentation: spaces at line
            // ends and runs of them inside prose (t2 --help's exit codes once read "an   unreadable").
            for line in help.split(separator: "\n") {
                #expect(line.last != " ", "\(name): a line ends in spaces: '\(line)'")
            }
            try Snapshot.check(help, named: name)
        }
    }

    @Test("the root help documents the exit codes")
    func exitCodes() {
        let help = T2Command.helpMessage(columns: 100)
        for code in ["0 success", "1 a run that produced no valid result", "64 a usage", "130 interrupted"] {
            #expect(help.contains(code), "t2 --help does not say \(code)")
        }
    }
}
