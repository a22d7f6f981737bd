import Foundation
import T2TestSupport
import Tabular
import Testing

@testable import ScalingLaws

@Suite("Counts reader at scale")
struct CountsAtScaleTests {
    @Test("10⁵ rows in four groups read completely and in order (the duplicate check is a hash, not a scan)")
    func manyRows() throws {
        var csv = CSVWriter(header: ["model", "problem", "samples", "correct"])
        for g in 0..<4 {
            for i in 0..<25_000 { csv.append(["m\(g)", "p\(i)", "100", "\((i * 7 + g) % 101)"]) }
        }
        let table = try CSVTable(string: csv.text, source: "big.csv")
        let progress = ProgressCounter()
        let groups = try CountsReader.read(table) { progress.record($0) }
        #expect(groups.map(\.name) == ["m0", "m1", "m2", "m3"])
        #expect(groups.allSatisfy { $0.problems.count == 25_000 })
        #expect(groups[2].problems[12_345].correct == (12_345 * 7 + 2) % 101)
        #expect(groups[3].problems.last?.line == 100_001)
        #expect(progress.calls >= 20 && progress.last > 0.95)
        // A repeat at the very end is still found, naming both lines.
        csv.append(["m1", "p17", "100", "3"])
        let repeated = try CSVTable(string: csv.text, source: "big.csv")
        #expect(throws: TabularError.self) { try CountsReader.read(repeated) }
        do {
            _ = try CountsReader.read(repeated)
        } catch {
            let message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
            #expect(message.contains("big.csv:100002") && message.contains("repeats line 25019"), "\(message)")
        }
    }
}

/// Records progress callbacks (single-threaded reader).
final class ProgressCounter: @unchecked Sendable {
    var calls = 0
    var last = 0.0
    func record(_ fraction: Double) {
        calls += 1
        last = fraction
    }
}
