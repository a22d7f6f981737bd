import Foundation

/// Writes CSV as RFC 4180 defines it: fields separated by commas, records by CRLF-free `\n`
/// line ends, and a field quoted — with its quotes doubled — whenever it holds a comma, a quote,
/// a line break, or leading or trailing spaces (which readers that trim would otherwise lose).
///
/// Every `--format csv` output and every counts file that t2 writes goes through this type, so
/// a model named `llama, 8b` or `"tiny"` survives a round trip through ``CSVTable``.
///
/// ```swift
/// var csv = CSVWriter(header: ["model", "pass@1"])
/// csv.append(["llama, 8b", "0.25"])
/// csv.text  // "model,pass@1\n\"llama, 8b\",0.25\n"
/// ```
public struct CSVWriter: Sendable {
    /// The header and the records appended so far, each line ending in `\n`.
    public private(set) var text: String
    /// The number of fields in the header; every record must have as many.
    public let columns: Int

    /// A writer whose first line is `header`.
    public init(header: [String]) {
        precondition(!header.isEmpty, "a CSV header needs at least one column")
        columns = header.count
        text = Self.line(header)
    }

    /// Appends one record; it must have as many fields as the header.
    public mutating func append(_ fields: [String]) {
        precondition(fields.count == columns, "a CSV record has \(fields.count) fields; the header has \(columns)")
        text += Self.line(fields)
    }

    /// Appends several records.
    public mutating func append(contentsOf records: some Sequence<[String]>) {
        for record in records { append(record) }
    }

    /// One record as a line (ending in `\n`), fields quoted where RFC 4180 requires it.
    public static func line(_ fields: [String]) -> String {
        var out = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { out += "," }
            out += Self.field(field)
        }
        return out + "\n"
    }

    /// `value` as one CSV field: unchanged when it is safe bare, otherwise quoted with its
    /// quotes doubled.
    public static func field(_ value: String) -> String {
        guard needsQuotes(value) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func needsQuotes(_ value: String) -> Bool {
        if value.isEmpty { return false }
        if value.first == " " || value.last == " " || value.first == "\t" || value.last == "\t" { return true }
        for scalar in value.unicodeScalars {
            switch scalar {
            case ",", "\"", "\n", "\r": return true
            default: continue
            }
        }
        return false
    }
}
