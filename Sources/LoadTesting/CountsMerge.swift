import Foundation
import Tabular

/// Merging the counts CSVs of `t2 sample` shards (`t2 sample merge`).
public enum CountsMerge {
    /// The merged file and what it holds.
    public struct Merged: Sendable, Equatable {
        /// The merged CSV (RFC 4180).
        public var text: String
        /// Problem rows.
        public var rows: Int
        /// Samples (the sum of the `samples` column).
        public var samples: Int
    }

    /// Concatenates the rows of `paths` in order. Every file must have the same header; a problem
    /// (with its `model`, when that column exists) may appear in only one row of all the files —
    /// a duplicate would count its samples twice, and is refused with both places named.
    public static func merge(_ paths: [String]) throws -> Merged {
        guard !paths.isEmpty else { throw LoadTestingError.invalidArgument("no counts files to merge") }
        var header: [String]? = nil
        var firstPath = ""
        var csv: CSVWriter? = nil
        var seen: [String: String] = [:]
        var rows = 0
        var samples = 0
        for path in paths {
            let table = try CSVTable(contentsOf: path)
            if let header {
                guard table.header == header else {
                    throw TabularError(
                        file: path,
                        line: 1,
                        problem:
                            "has columns \(table.header.joined(separator: ",")), but \(firstPath) has \(header.joined(separator: ","))",
                        hint: "Merge counts written with the same --label/--params/--train-tokens flags"
                    )
                }
            } else {
                header = table.header
                firstPath = path
                csv = CSVWriter(header: table.header)
            }
            let problem = try table.requireColumn("problem", purpose: "A counts file from t2 sample")
            let n = try table.requireColumn("samples", purpose: "A counts file from t2 sample")
            _ = try table.requireColumn("correct", purpose: "A counts file from t2 sample")
            let model = table.columnIndex("model")
            for r in 0..<table.count {
                let key =
                    table.text(row: r, column: problem) + "\u{1F}"
                    + (model.map { table.text(row: r, column: $0) } ?? "")
                let here = "\(path):\(table.line(ofRow: r))"
                if let earlier = seen[key] {
                    throw TabularError(
                        file: path,
                        line: table.line(ofRow: r),
                        column: "problem",
                        problem:
                            "problem '\(table.text(row: r, column: problem))'\(model.map { " of model '\(table.text(row: r, column: $0))'" } ?? "") is also at \(earlier); merging would count its samples twice",
                        hint: "Merge each shard's file once"
                    )
                }
                seen[key] = here
                samples += try table.integer(row: r, column: n)
                csv!.append(table.rows[r].map { $0 })
                rows += 1
            }
        }
        return Merged(text: csv!.text, rows: rows, samples: samples)
    }
}
