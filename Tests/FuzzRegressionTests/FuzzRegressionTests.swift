import Foundation
import FuzzEntryPoints
import T2TestSupport
import Testing

/// Replays every input the fuzzers start from (Fuzz/Corpus/<target>/) and every input that once
/// crashed one of them (Fuzz/Regressions/<target>/) through the same parser entry points, so a
/// fixed crash stays fixed. A crash here fails the whole test run, which is the point.
@Suite("fuzz corpora and crash regressions replay without a crash")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: String) -> [URL] {
        ["Corpus", "Regressions"].flatMap { folder -> [URL] in
            let dir = root.appendingPathComponent(folder).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }
        }
    }

    @Test("each target has a seed corpus, and every input replays", arguments: FuzzEntryPoints.all.map(\.name))
    func replay(target: String) throws {
        let run = try #require(FuzzEntryPoints.all.first { $0.name == target }?.run)
        let files = Self.inputs(target)
        #expect(!files.isEmpty, "Fuzz/Corpus/\(target) has no seed inputs")
        for file in files {
            run(Array(try Data(contentsOf: file)))
        }
    }
}
