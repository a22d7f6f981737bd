import Foundation

/// How numbers on an axis (and in tables) are written.
public enum NumberFormat: String, Sendable, Equatable, CaseIterable {
    /// Plain numbers, with k, M, B, T suffixes from ten thousand on and 1e-5 style below 0.001.
    case number
    /// Counts (parameters, tokens, requests): 10k, 1.5M, 27B, 1T.
    case count
    /// Powers of ten: 1e19, 2.5e19 (FLOPs).
    case scientific
    /// Fractions as percentages: 0.01 → 1%, 0.005 → 0.5%.
    case percent
    /// Dollars: $0.50, $12, $1.2k.
    case usd

    /// `value` written for a tick whose neighbours are `step` apart (0 = a lone value, written with
    /// three significant digits). The same value and step always give the same text.
    public func label(_ value: Double, step: Double = 0) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "∞" : "−∞" }
        if value == 0 { return self == .percent ? "0%" : self == .usd ? "$0" : "0" }
        switch self {
        case .number:
            let a = abs(value)
            if a >= 1e4 { return NumberText.withSuffix(value, step: step) }
            if a < 1e-3 { return NumberText.scientific(value, step: step) }
            return NumberText.decimal(value, step: step)
        case .count:
            if abs(value) >= 1e3 { return NumberText.withSuffix(value, step: step) }
            if abs(value) < 1e-3 { return NumberText.scientific(value, step: step) }
            return NumberText.decimal(value, step: step)
        case .scientific:
            let a = abs(value)
            if a >= 0.01 && a < 1000 { return NumberText.decimal(value, step: step) }
            return NumberText.scientific(value, step: step)
        case .percent:
            return NumberFormat.number.label(value * 100, step: step * 100) + "%"
        case .usd:
            let text = NumberFormat.count.label(abs(value), step: step)
            return (value < 0 ? "−$" : "$") + text
        }
    }
}

/// Deterministic number-to-text helpers (no locale, no platform printf differences).
enum NumberText {
    /// Decimal places that tell ticks `step` apart (3 significant digits for a lone value).
    static func decimals(_ value: Double, step: Double) -> Int {
        if step > 0, step.isFinite {
            let d = -Int(Foundation.floor(Foundation.log10(step) + 1e-9))
            // 2.5-style steps need one more place than their power of ten.
            let m = step / Foundation.pow(10, Foundation.floor(Foundation.log10(step) + 1e-9))
            let extra = abs(m - m.rounded()) > 1e-6 ? 1 : 0
            return Swift.max(0, Swift.min(12, d + extra))
        }
        let magnitude = Int(Foundation.floor(Foundation.log10(abs(value))))
        return Swift.max(0, Swift.min(12, 2 - magnitude))
    }

    /// `value` with the decimals its step needs, trailing zeros after the point kept only as the
    /// step needs them.
    static func decimal(_ value: Double, step: Double) -> String {
        fixed(value, decimals(value, step: step), trim: step <= 0)
    }

    /// `value` rounded to `places` decimals, written without exponent; `trim` drops trailing
    /// zeros (and the point).
    static func fixed(_ value: Double, _ places: Int, trim: Bool = false) -> String {
        let negative = value < 0
        let scale = Foundation.pow(10, Double(places))
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return scientific(value, step: 0) }
        let integer = UInt64(scaled)
        let p = UInt64(scale)
        var text = String(integer / p)
        if places > 0 {
            var fraction = String(integer % p)
            fraction = String(repeating: "0", count: places - fraction.count) + fraction
            if trim { while fraction.hasSuffix("0") { fraction.removeLast() } }
            if !fraction.isEmpty { text += "." + fraction }
        }
        return (negative && integer != 0 ? "−" : "") + text
    }

    /// 1e19, 2.5e19, 1e-4 (mantissa to the step's precision, at most 3 significant digits).
    static func scientific(_ value: Double, step: Double) -> String {
        var exponent = Int(Foundation.floor(Foundation.log10(abs(value))))
        var mantissa = value / Foundation.pow(10, Double(exponent))
        var places = 2
        if step > 0, step.isFinite {
            places = Swift.max(0, Swift.min(2, exponent - Int(Foundation.floor(Foundation.log10(step) + 1e-9))))
        }
        let scale = Foundation.pow(10, Double(places))
        mantissa = (mantissa * scale).rounded() / scale
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        let m = fixed(mantissa, places, trim: true)
        return m + "e" + (exponent < 0 ? "-" : "") + String(abs(exponent))
    }

    /// 10k, 1.5M, 27B, 1.2T, 3Q (three significant digits at most, fewer when the step allows).
    static func withSuffix(_ value: Double, step: Double) -> String {
        let a = abs(value)
        let units: [(Double, String)] = [(1e15, "Q"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")]
        guard let (scale, suffix) = units.first(where: { a >= $0.0 * (1 - 1e-12) }) else {
            return decimal(value, step: step)
        }
        if a >= 1e18 { return scientific(value, step: step) }
        let scaled = value / scale
        let places: Int
        if step > 0, step.isFinite {
            places = decimals(scaled, step: step / scale)
        } else {
            let magnitude = Int(Foundation.floor(Foundation.log10(abs(scaled)) + 1e-9))
            places = Swift.max(0, 2 - magnitude)
        }
        return fixed(scaled, Swift.min(places, 3), trim: step <= 0) + suffix
    }

    /// A coordinate for SVG: at most two decimals, no trailing zeros, "-" as the minus sign.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let clamped = Swift.max(-1e7, Swift.min(1e7, value))
        let hundredths = Int64((clamped * 100).rounded())
        let negative = hundredths < 0
        let a = negative ? -hundredths : hundredths
        var text = String(a / 100)
        let f = a % 100
        if f != 0 { text += f % 10 == 0 ? "." + String(f / 10) : (f < 10 ? ".0" : ".") + String(f) }
        return (negative ? "-" : "") + text
    }
}

extension NumberFormat {
    /// `value` with exactly `places` decimals, no locale, "−" for negatives: fixed(0.12345, 2) = "0.12".
    public static func fixed(_ value: Double, _ places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "∞" : "−∞" }
        return NumberText.fixed(value, Swift.max(0, Swift.min(12, places)))
    }
}
