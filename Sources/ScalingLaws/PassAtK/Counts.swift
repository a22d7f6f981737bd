import Foundation
import Tabular

/// Repeated-sampling counts for one problem: `samples` (n) drawn, `correct` (c) of them right.
public struct ProblemCount: Sendable, Equatable {
    /// The problem's identifier as written in the file.
    public var problem: String
    /// Samples drawn, n ≥ 1.
    public var samples: Int
    /// Correct samples, 0 ≤ c ≤ n.
    public var correct: Int
    /// 1-based line in its file (0 for counts made in code).
    public var line: Int

    /// The counts of one problem (`line`: where it was read, 0 for counts made in code).
    public init(problem: String, samples: Int, correct: Int, line: Int = 0) {
        self.problem = problem
        self.samples = samples
        self.correct = correct
        self.line = line
    }
}

/// The counts of one model (or of the whole file when it has no `model` column).
public struct CountGroup: Sendable, Equatable {
    /// The model name, or "all".
    public var name: String
    /// Parameters N, when the file has a `params` column.
    public var params: Double?
    /// Training tokens D, when the file has a `tokens` column.
    public var tokens: Double?
    /// The per-problem counts, in file order.
    public var problems: [ProblemCount]

    /// A group named `name` with optional N and D and its problems' counts.
    public init(name: String, params: Double? = nil, tokens: Double? = nil, problems: [ProblemCount]) {
        self.name = name
        self.params = params
        self.tokens = tokens
        self.problems = problems
    }

    /// Smallest sample count over the group's problems.
    public var minimumSamples: Int { problems.map(\.samples).min() ?? 0 }
    /// Total correct samples.
    public var totalCorrect: Int { problems.reduce(0) { $0 + $1.correct } }
    /// True when no problem has a correct sample: no success distribution is identifiable.
    public var allZero: Bool { problems.allSatisfy { $0.correct == 0 } }
}

/// Errors about counts and about k.
public enum CountsError: Error, LocalizedError, Equatable, Sendable {
    /// A group has no problems (e.g. `--holdout` or a filter removed them all).
    case emptyGroup(group: String)
    /// No problem in the group has a correct sample.
    case allZero(group: String, problems: Int)
    /// k ≤ 0.
    case invalidK(k: Int)
    /// k exceeds n for a problem: the unbiased estimator is undefined there.
    case kExceedsSamples(group: String, problem: String, line: Int, samples: Int, k: Int)
    /// A fit needs N and D per group but the file lacks them.
    case missingParamsTokens(file: String)
    /// Too few usable groups or points for a fit.
    case tooFewForFit(form: String, detail: String)
    /// An analysis option out of its range (the command checks its flags first; this guards
    /// library callers).
    case invalidOption(String)

    public var errorDescription: String? {
        switch self {
        case let .emptyGroup(group):
            return "group '\(group)' has no problems; every group needs at least one problem,samples,correct row"
        case let .allZero(group, problems):
            return
                "group '\(group)': none of its \(problems) problems has a correct sample, so pass@k is 0 at every measured k and the success distribution (and any law) is unidentifiable there. Draw more samples per problem, or drop the group"
        case let .invalidK(k):
            return "k = \(k) is not valid; k must be a whole number ≥ 1"
        case let .kExceedsSamples(group, problem, line, samples, k):
            let at = line > 0 ? " (line \(line))" : ""
            return
                "group '\(group)', problem '\(problem)'\(at): k = \(k) exceeds its \(samples) samples; the unbiased pass@k estimator needs k ≤ n. Ask for k ≤ \(samples) (use --forecast for larger k)"
        case let .missingParamsTokens(file):
            return "\(file): a T² fit needs 'params' and 'tokens' columns (N and D of each model) and a 'model' column"
        case let .tooFewForFit(form, detail):
            return "cannot fit \(form): \(detail)"
        case let .invalidOption(detail):
            return detail
        }
    }
}

/// Reading per-problem counts from CSV: `problem,samples,correct`, optional `model,params,tokens`.
public enum CountsReader {
    /// Reads and checks every cell (whole numbers, samples ≥ 1, 0 ≤ correct ≤ samples) and returns
    /// the groups in order of first appearance. Errors name file, line and column.
    ///
    /// Linear in the rows (a file of 10⁵ rows reads in well under a second).
    ///
    /// - Parameters:
    ///   - table: the counts file, read by `CSVTable` (errors name its file, line and column).
    ///   - groupColumn: the grouping column (default `model`); groups are "all" when the file lacks it.
    ///   - progress: called now and then with the fraction of rows read.
    public static func read(
        _ table: CSVTable,
        groupColumn: String = "model",
        progress: ((Double) -> Void)? = nil
    ) throws -> [CountGroup] {
        let problemColumn = try table.requireColumn("problem", purpose: "Counts need one row per problem")
        let samplesColumn = try table.requireColumn("samples", purpose: "Counts need the samples drawn per problem (n)")
        let correctColumn = try table.requireColumn(
            "correct",
            purpose: "Counts need the correct samples per problem (c)"
        )
        let modelColumn = table.columnIndex(groupColumn)
        let paramsColumn = table.columnIndex("params")
        let tokensColumn = table.columnIndex("tokens")
        // Groups in order of first appearance, appended in place (a dictionary of structs would copy
        // a group's whole problem list on every row: quadratic in the rows of one group).
        var groups: [CountGroup] = []
        var groupIndex: [String: Int] = [:]
        var seen: [String: [String: Int]] = [:]
        for row in 0..<table.count {
            let line = table.line(ofRow: row)
            let name = modelColumn.map { table.text(row: row, column: $0) } ?? "all"
            if modelColumn != nil, name.isEmpty {
                throw table.cellError(row: row, column: modelColumn!, "is empty; expected the model name")
            }
            let problem = table.text(row: row, column: problemColumn)
            guard !problem.isEmpty else {
                throw table.cellError(row: row, column: problemColumn, "is empty; expected a problem id")
            }
            let samples = try checkedCount(table, row: row, column: samplesColumn, minimum: 1)
            let correct = try checkedCount(table, row: row, column: correctColumn, minimum: 0)
            guard correct <= samples else {
                throw table.cellError(
                    row: row,
                    column: correctColumn,
                    "correct = \(correct) exceeds samples = \(samples)",
                    hint: "A problem cannot have more correct samples than samples drawn"
                )
            }
            if let first = seen[name, default: [:]].updateValue(line, forKey: problem) {
                throw table.cellError(
                    row: row,
                    column: problemColumn,
                    "problem '\(problem)' of group '\(name)' repeats line \(first)",
                    hint: "Merge the counts into one row"
                )
            }
            let params = try paramsColumn.map { try table.positiveDouble(row: row, column: $0) }
            let tokens = try tokensColumn.map { try table.positiveDouble(row: row, column: $0) }
            let count = ProblemCount(problem: problem, samples: samples, correct: correct, line: line)
            if let g = groupIndex[name] {
                if let p = params, let q = groups[g].params, p != q {
                    throw table.cellError(
                        row: row,
                        column: paramsColumn!,
                        "params \(p) differs from \(q) earlier in group '\(name)'",
                        hint:
                            "A group is one model: give all its rows the same params and tokens, or a different model name"
                    )
                }
                if let t = tokens, let u = groups[g].tokens, t != u {
                    throw table.cellError(
                        row: row,
                        column: tokensColumn!,
                        "tokens \(t) differs from \(u) earlier in group '\(name)'",
                        hint:
                            "A group is one model: give all its rows the same params and tokens, or a different model name"
                    )
                }
                groups[g].problems.append(count)
            } else {
                groupIndex[name] = groups.count
                groups.append(CountGroup(name: name, params: params, tokens: tokens, problems: [count]))
            }
            if let progress, row % 4096 == 4095 { progress(Double(row + 1) / Double(table.count)) }
        }
        guard !groups.isEmpty else {
            throw TabularError(
                file: table.source,
                line: 1,
                problem: "has no count rows",
                hint: "Add problem,samples,correct rows"
            )
        }
        return groups
    }

    private static func checkedCount(_ table: CSVTable, row: Int, column: Int, minimum: Int) throws -> Int {
        let hint =
            minimum >= 1
            ? "Write the number of samples drawn for the problem, a whole number ≥ 1"
            : "Write the number of correct samples, a whole number from 0 to the samples drawn"
        let text = table.text(row: row, column: column)
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw table.cellError(
                row: row,
                column: column,
                text.isEmpty ? "is empty" : "'\(text)' is not a count",
                hint: hint
            )
        }
        if value < 0 {
            throw table.cellError(row: row, column: column, "\(text) is negative; counts are ≥ 0", hint: hint)
        }
        return try table.integer(row: row, column: column, minimum: minimum)
    }
}
