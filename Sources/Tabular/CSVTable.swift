import CSV
import Foundation

/// An error in a tabular input file. Every case names the file and, where it applies, the
/// 1-based line (the header is line 1) and the column, says what was expected and what to do.
public struct TabularError: Error, LocalizedError, Equatable, Sendable {
    /// The file (as the user gave it), or a description such as "<stdin>".
    public var file: String
    /// 1-based line in the file, header = 1; nil when the problem is the whole file.
    public var line: Int?
    /// The column name, when the problem is a cell or a missing column.
    public var column: String?
    /// What is wrong.
    public var problem: String
    /// What the user can do about it.
    public var hint: String?

    public init(file: String, line: Int? = nil, column: String? = nil, problem: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.hint = hint
    }

    public var errorDescription: String? {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += " (column '\(column)')" }
        var message = "\(location): \(problem)"
        if let hint { message += ". \(hint)" }
        return message
    }
}

/// A CSV file read whole into memory, with a header row and cell accessors that throw
/// ``TabularError`` naming file, line and column.
///
/// Parsing is RFC 4180 (quoted fields, embedded commas and newlines) via CSV.swift. Extra columns
/// are kept and ignored by callers; blank lines are skipped.
public struct CSVTable: Sendable {
    /// The file name used in error messages.
    public let source: String
    /// Column names from the header row, trimmed of surrounding whitespace.
    public let header: [String]
    /// Data rows (without the header).
    public let rows: [[String]]
    /// The 1-based file line on which each row starts (header = 1).
    public let lineNumbers: [Int]

    /// Reads `path` (a file, a pipe, `/dev/null`, or `-` for standard input; a UTF-8 byte-order
    /// mark is dropped). Throws a ``TabularError`` if the file is missing, unreadable, empty, or a
    /// row has a different number of fields than the header.
    public init(contentsOf path: String) throws {
        let text: String
        do {
            text = try InputFile.text(path)
        } catch let error as TabularError where error.problem == "is not UTF-8 text" {
            throw TabularError(file: path, problem: "is not UTF-8 text", hint: "Save it as UTF-8 CSV")
        }
        try self.init(string: text, source: path)
    }

    /// Parses CSV `text`; `source` names it in error messages.
    public init(string text: String, source: String) throws {
        self.source = source
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: true)
        } catch {
            throw TabularError(file: source, problem: "is not valid CSV (\(error))")
        }
        var header: [String]? = nil
        var rows: [[String]] = []
        var lines: [Int] = []
        // CSV.swift does not report line numbers, so count the newlines each record spans.
        var line = 0
        while let record = reader.next() {
            line += 1
            let spanned = record.reduce(0) { $0 + $1.reduce(0) { $1 == "\n" ? $0 + 1 : $0 } }
            defer { line += spanned }
            if record.count == 1 && record[0].isEmpty { continue }  // blank line
            if header == nil {
                header = record.map { $0.trimmingCharacters(in: .whitespaces) }
                continue
            }
            rows.append(record)
            lines.append(line)
        }
        if let error = reader.error {
            throw TabularError(file: source, line: line, problem: "is not valid CSV (\(error))")
        }
        guard let header, !header.isEmpty, !(header.count == 1 && header[0].isEmpty) else {
            throw TabularError(
                file: source,
                line: 1,
                problem: "is empty; expected a header row",
                hint: "The first line must name the columns"
            )
        }
        var seen = Set<String>()
        for name in header {
            if !seen.insert(name).inserted {
                throw TabularError(
                    file: source,
                    line: 1,
                    column: name,
                    problem: "the header names column '\(name)' twice"
                )
            }
        }
        for (index, row) in rows.enumerated() where row.count != header.count {
            throw TabularError(
                file: source,
                line: lines[index],
                problem: "has \(row.count) fields but the header has \(header.count)",
                hint: "Quote fields that contain commas"
            )
        }
        self.header = header
        self.rows = rows
        self.lineNumbers = lines
    }

    /// Number of data rows.
    public var count: Int { rows.count }

    /// The index of column `name`, or nil.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The index of column `name`; throws naming the file, the columns it has, and `purpose`.
    public func requireColumn(_ name: String, purpose: String? = nil) throws -> Int {
        if let index = columnIndex(name) { return index }
        var hint = "The file has columns: \(header.joined(separator: ", "))"
        if let purpose { hint = "\(purpose). " + hint }
        throw TabularError(
            file: source,
            line: 1,
            column: name,
            problem: "missing required column '\(name)'",
            hint: hint
        )
    }

    /// The raw text of a cell.
    public func text(row: Int, column: Int) -> String { rows[row][column] }

    /// The 1-based file line of data row `row`.
    public func line(ofRow row: Int) -> Int { lineNumbers[row] }

    /// A finite number from a cell; throws with file, line, column and what was found otherwise.
    public func double(row: Int, column: Int) throws -> Double {
        let raw = rows[row][column]
        guard !raw.isEmpty else {
            throw cellError(row: row, column: column, "is empty; expected a number")
        }
        guard let value = Double(raw) else {
            throw cellError(row: row, column: column, "'\(raw)' is not a number")
        }
        guard value.isFinite else {
            throw cellError(row: row, column: column, "'\(raw)' is not a finite number")
        }
        return value
    }

    /// A finite number that must be > 0.
    public func positiveDouble(row: Int, column: Int) throws -> Double {
        let value = try double(row: row, column: column)
        guard value > 0 else {
            throw cellError(row: row, column: column, "\(rows[row][column]) must be greater than 0")
        }
        return value
    }

    /// A whole number ≥ `minimum` (accepts "12" and "12.0", rejects "12.5").
    public func integer(row: Int, column: Int, minimum: Int = 0) throws -> Int {
        let value = try double(row: row, column: column)
        guard value == value.rounded(), abs(value) < 9.0e15 else {
            throw cellError(row: row, column: column, "'\(rows[row][column])' is not a whole number")
        }
        guard value >= Double(minimum) else {
            throw cellError(row: row, column: column, "\(rows[row][column]) must be at least \(minimum)")
        }
        return Int(value)
    }

    /// A ``TabularError`` about one cell.
    public func cellError(row: Int, column: Int, _ problem: String, hint: String? = nil) -> TabularError {
        TabularError(file: source, line: lineNumbers[row], column: header[column], problem: problem, hint: hint)
    }
}
