import Foundation
import InferenceCost
import LoadTesting
import ScalingLaws
import Tabular

/// One entry point per parser that reads user input, for the libFuzzer targets in `Fuzz/` and for
/// the regression tests that replay their corpora (`Tests/FuzzRegressionTests`).
///
/// Each entry takes arbitrary bytes and runs them through the same code the CLI runs on a file the
/// user names. Errors are the expected outcome for most inputs and are ignored; what a fuzzer
/// looks for is a crash, a trap, a hang or memory that grows without bound.
public enum FuzzEntryPoints {
    /// The targets by name (the names of the `Fuzz/` executables and corpus folders).
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("runs-csv", runsCSV),
        ("counts-csv", countsCSV),
        ("measurements-csv", measurementsCSV),
        ("catalog-json", catalogJSON),
        ("law-json", lawJSON),
        ("json-value", jsonValue),
        ("sse-stream", sseStream),
    ]

    /// The text of `bytes` as `t2` would read it from a file (UTF-8 required, BOM dropped).
    static func text(_ bytes: [UInt8]) -> String? {
        var slice = bytes[...]
        if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
        return String(validating: slice, as: UTF8.self)
    }

    /// `t2 fit`'s runs CSV.
    @Sendable public static func runsCSV(_ bytes: [UInt8]) {
        guard let text = text(bytes), let table = try? CSVTable(string: text, source: "fuzz.csv") else { return }
        _ = try? RunsReader.read(table)
        _ = try? RunsReader.read(table, columns: RunColumns(group: table.header.first))
    }

    /// `t2 passk`'s and `t2 fit --form`'s per-problem counts CSV.
    @Sendable public static func countsCSV(_ bytes: [UInt8]) {
        guard let text = text(bytes), let table = try? CSVTable(string: text, source: "fuzz.csv") else { return }
        _ = try? CountsReader.read(table)
    }

    /// `t2 cost --validate` and `t2 calibrate`'s measurements CSV.
    @Sendable public static func measurementsCSV(_ bytes: [UInt8]) {
        guard let text = text(bytes), let table = try? CSVTable(string: text, source: "fuzz.csv") else { return }
        _ = try? Measurement.parse(table)
    }

    /// A user's hardware/model/quantization/engine catalog JSON (`--catalog`).
    @Sendable public static func catalogJSON(_ bytes: [UInt8]) {
        _ = try? Catalog(json: Data(bytes), source: "fuzz.json")
    }

    /// A law file (`t2 fit --out`, read by `t2 plan --law`).
    @Sendable public static func lawJSON(_ bytes: [UInt8]) {
        guard let file = try? JSONDecoder().decode(LawFile.self, from: Data(bytes)) else { return }
        _ = try? ScalingLaw(file, source: "fuzz.json")
    }

    /// The JSON parser behind JSONL prompts and datasets and every streamed chunk.
    @Sendable public static func jsonValue(_ bytes: [UInt8]) {
        _ = try? JSONValue.parse(bytes)
    }

    /// A server's SSE stream, fed in pieces whose boundaries the first byte chooses, each event's
    /// data parsed as JSON as the streaming client does.
    @Sendable public static func sseStream(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let piece = Int(first % 16) + 1
        var parser = SSEParser()
        var index = 1
        while index < bytes.count {
            let end = min(index + piece, bytes.count)
            parser.feed(bytes[index..<end]) { event in
                _ = try? JSONValue.parse(event.data)
            }
            index = end
        }
        if let last = parser.finish() { _ = try? JSONValue.parse(last.data) }
    }
}
