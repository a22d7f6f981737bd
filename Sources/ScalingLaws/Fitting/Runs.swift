import Foundation
import Tabular

/// One pretraining run: parameters N, training tokens D and the final loss.
public struct Run: Sendable, Equatable {
    /// Parameters N.
    public var params: Double
    /// Training tokens D.
    public var tokens: Double
    /// Final loss (nats per token).
    public var loss: Double
    /// The value of the grouping column, if any.
    public var group: String?
    /// 1-based line of the run in its file (0 for runs made in code).
    public var line: Int

    public init(params: Double, tokens: Double, loss: Double, group: String? = nil, line: Int = 0) {
        self.params = params
        self.tokens = tokens
        self.loss = loss
        self.group = group
        self.line = line
    }
}

/// Which columns of a runs CSV hold N, D (or C) and the loss.
public struct RunColumns: Sendable, Equatable {
    /// Column with the parameter count N (default `params`).
    public var params = "params"
    /// Column with training tokens D (default `tokens`).
    public var tokens = "tokens"
    /// Column with training FLOPs C, used when `tokens` is absent: D = C / (6N).
    public var flops = "flops"
    /// Column with the loss (default `loss`).
    public var loss = "loss"
    /// Optional column to split the runs into groups, one law each.
    public var group: String?

    public init(
        params: String = "params",
        tokens: String = "tokens",
        flops: String = "flops",
        loss: String = "loss",
        group: String? = nil
    ) {
        self.params = params
        self.tokens = tokens
        self.flops = flops
        self.loss = loss
        self.group = group
    }
}

/// A filter on one numeric column, written `column<=value` (also `<`, `>`, `>=`, `=`, `!=`).
public struct RowFilter: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case notEqual = "!="
        case less = "<"
        case greater = ">"
        case equal = "="
    }
    public var column: String
    public var comparison: Comparison
    public var value: Double
    /// The text it was parsed from (reports quote the user's own spelling).
    public var text: String?

    public init(column: String, comparison: Comparison, value: Double) {
        self.column = column
        self.comparison = comparison
        self.value = value
    }

    /// Parses `column<=value`; nil if the text has no comparison or the value is not a number.
    public init?(_ text: String) {
        for comparison in Comparison.allCases {  // two-character operators first
            if let range = text.range(of: comparison.rawValue) {
                let column = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard !column.isEmpty, let value = Double(rest) else { return nil }
                self.init(column: column, comparison: comparison, value: value)
                self.text = text.trimmingCharacters(in: .whitespaces)
                return
            }
        }
        return nil
    }

    public func matches(_ x: Double) -> Bool {
        switch comparison {
        case .lessOrEqual: return x <= value
        case .greaterOrEqual: return x >= value
        case .less: return x < value
        case .greater: return x > value
        case .equal: return x == value
        case .notEqual: return x != value
        }
    }

    public var description: String { text ?? "\(column)\(comparison.rawValue)\(value)" }
}

/// Reading runs from CSV with the checks a fit needs.
public enum RunsReader {
    /// Reads runs from `table`. Checks every cell (finite numbers, N > 0, D > 0, loss > 0), rejects
    /// exact duplicate rows, and names file, line and column in every error.
    ///
    /// - Parameters:
    ///   - table: the runs file, read by `CSVTable` (errors name its file, line and column).
    ///   - columns: the names of the params, tokens (or flops) and loss columns.
    ///   - holdout: rows matching this filter are returned separately (for out-of-sample checks).
    ///   - keep: only rows matching every one of these filters are used at all (`t2 fit --where`);
    ///     the others are returned as `excluded`. Every row is still checked.
    /// - Returns: the runs to fit, the held-out runs, and the runs the `keep` filters excluded.
    public static func read(
        _ table: CSVTable,
        columns: RunColumns = RunColumns(),
        holdout: RowFilter? = nil,
        keep: [RowFilter] = []
    ) throws -> (fit: [Run], heldOut: [Run], excluded: [Run]) {
        let paramsColumn = try table.requireColumn(columns.params, purpose: "Runs need the parameter count N")
        let lossColumn = try table.requireColumn(columns.loss, purpose: "Runs need the final loss")
        let tokensColumn = table.columnIndex(columns.tokens)
        let flopsColumn = table.columnIndex(columns.flops)
        if tokensColumn == nil && flopsColumn == nil {
            throw TabularError(
                file: table.source,
                line: 1,
                column: columns.tokens,
                problem: "missing column '\(columns.tokens)' (or '\(columns.flops)', from which D = C/6N)",
                hint: "The file has columns: \(table.header.joined(separator: ", "))"
            )
        }
        let groupColumn = try columns.group.map { try table.requireColumn($0, purpose: "--group-by names it") }
        let holdoutColumn = try holdout.map { try table.requireColumn($0.column, purpose: "--holdout names it") }
        let keepColumns = try keep.map { try table.requireColumn($0.column, purpose: "--where names it") }

        var fit: [Run] = []
        var heldOut: [Run] = []
        var excluded: [Run] = []
        /// Exact duplicates are found by hashing the parsed values (not their text, and not by
        /// printing them: formatting three doubles per row dominated reading 1e6 runs).
        struct Key: Hashable {
            var group: String?
            var params: Double
            var tokens: Double
            var loss: Double
        }
        var seen: [Key: Int] = [:]
        seen.reserveCapacity(table.count)
        fit.reserveCapacity(table.count)
        for row in 0..<table.count {
            let n = try table.positiveDouble(row: row, column: paramsColumn)
            let d: Double
            if let tokensColumn {
                d = try table.positiveDouble(row: row, column: tokensColumn)
            } else {
                d = try table.positiveDouble(row: row, column: flopsColumn!) / (6 * n)
            }
            let loss = try table.positiveDouble(row: row, column: lossColumn)
            let group = groupColumn.map { table.text(row: row, column: $0) }
            let key = Key(group: group, params: n, tokens: d, loss: loss)
            if let first = seen[key] {
                throw table.cellError(
                    row: row,
                    column: paramsColumn,
                    "duplicates the run on line \(first) (same N, D and loss)",
                    hint: "Remove the repeated row; duplicates would count one run twice in the fit"
                )
            }
            seen[key] = table.line(ofRow: row)
            let run = Run(params: n, tokens: d, loss: loss, group: group, line: table.line(ofRow: row))
            var kept = true
            for (filter, column) in zip(keep, keepColumns)
            where !filter.matches(try table.double(row: row, column: column)) { kept = false }
            if !kept {
                excluded.append(run)
            } else if let holdout, let holdoutColumn, holdout.matches(try table.double(row: row, column: holdoutColumn))
            {
                heldOut.append(run)
            } else {
                fit.append(run)
            }
        }
        return (fit, heldOut, excluded)
    }
}
