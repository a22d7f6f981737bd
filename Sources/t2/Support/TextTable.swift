import Foundation

/// A plain-text table with aligned columns, for terminal output.
struct TextTable {
    enum Alignment { case left, right }

    var columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    /// A table with the given column titles; numeric columns should be right-aligned.
    init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    /// Appends a row (missing cells print empty).
    mutating func append(_ row: [String]) { rows.append(row) }

    /// The rendered table, header and a rule line first.
    func render(indent: String = "") -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, column) in columns.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(column.alignment == .left ? cell + pad : pad + cell)
            }
            var text = indent + parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        var out = [line(columns.map(\.title))]
        out.append(indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        out += rows.map(line)
        return out.joined(separator: "\n")
    }
}

/// Number formatting in the field's conventions.
enum Format {
    /// 3 significant digits with an SI-style suffix for counts: 2.95e10 → "29.5B", 1.2e6 → "1.20M".
    static func count(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        // Round to three significant digits first, so 999,999.9 reads "1.00M", not "1000K".
        var a = abs(value)
        if a >= 1 {
            let unit = pow10(Int(log10(a).rounded(.down)) - 2)
            a = (a / unit).rounded() * unit
        }
        let value = value < 0 ? -a : a
        let (scaled, suffix): (Double, String) =
            a >= 1e15
            ? (value / 1e15, "Q")
            : a >= 1e12
                ? (value / 1e12, "T")
                : a >= 1e9
                    ? (value / 1e9, "B") : a >= 1e6 ? (value / 1e6, "M") : a >= 1e3 ? (value / 1e3, "K") : (value, "")
        return significant(scaled, 3) + suffix
    }

    /// Scientific notation with `digits` significant digits: 1.0e23 → "1.00e23".
    static func scientific(_ value: Double, _ digits: Int = 3) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : "\(value)" }
        var exponent = Int((log10(abs(value))).rounded(.down))
        var mantissa = value / pow10(exponent)
        let roundedMantissa = (mantissa * pow10(digits - 1)).rounded() / pow10(digits - 1)
        if abs(roundedMantissa) >= 10 {
            exponent += 1
            mantissa = value / pow10(exponent)
        } else {
            mantissa = roundedMantissa
        }
        return fixed(mantissa, digits - 1) + "e" + String(exponent)
    }

    /// `value` with `digits` significant digits, without exponent for ordinary magnitudes.
    static func significant(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == 0 { return "0" }
        let magnitude = Int((log10(abs(value))).rounded(.down))
        if magnitude >= 15 || magnitude < -4 { return scientific(value, digits) }
        let decimals = max(0, digits - 1 - magnitude)
        return fixed(value, decimals)
    }

    /// A count held as a Double (layers, heads, steps …): "32", not "32.0"; a fractional value
    /// keeps `digits` significant digits.
    static func whole(_ value: Double, _ digits: Int = 6) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15
            ? String(Int(value)) : significant(value, digits)
    }

    /// `value` with exactly `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        let text = String(format: "%.\(max(0, decimals))f", value)
        return text == "-0" || text.hasPrefix("-0.") && !text.contains(where: { "123456789".contains($0) })
            ? String(text.dropFirst()) : text
    }

    /// A percentage with one decimal: 0.1234 → "12.3%".
    static func percent(_ fraction: Double, _ decimals: Int = 1) -> String {
        fixed(fraction * 100, decimals) + "%"
    }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        if n >= 0 { for _ in 0..<n { r *= 10 } } else { for _ in 0..<(-n) { r /= 10 } }
        return r
    }

    private static func log10(_ x: Double) -> Double { Foundation.log10(x) }
}
