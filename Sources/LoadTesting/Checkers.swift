import Foundation

/// The verdict on one response: correct or not, and the answer that was extracted (recorded per
/// sample, so a wrong extraction can be seen in the log).
public struct AnswerCheck: Sendable, Equatable {
    public var correct: Bool
    public var extracted: String?

    public init(correct: Bool, extracted: String?) {
        self.correct = correct
        self.extracted = extracted
    }
}

/// Decides whether a generated response answers a problem. `t2 sample --checker` picks one of the
/// built-in checkers (``CheckerChoice``); a library user can bring their own.
public protocol AnswerChecker: Sendable {
    /// A short name, recorded in the sample log's settings (`final-number`, `boxed`, …).
    var name: String { get }
    /// Judges `response` for `problem`.
    func check(_ response: String, problem: Problem) async -> AnswerCheck
}

/// A checker that extracts an answer from the text and compares it with the reference answer.
public protocol TextAnswerChecker: AnswerChecker {
    /// The answer extracted from `response`, if any.
    func extract(from response: String) -> String?
    /// Whether `response` answers a problem whose reference answer is `answer`.
    func isCorrect(response: String, answer: String) -> Bool
}

extension TextAnswerChecker {
    public func check(_ response: String, problem: Problem) async -> AnswerCheck {
        AnswerCheck(correct: isCorrect(response: response, answer: problem.answer), extracted: extract(from: response))
    }
}

/// The text after the last `Answer:` / `answer is` / `####` marker (case-insensitive), if any.
func afterLastAnswerMarker(_ response: String) -> Substring? {
    var best: Range<String.Index>? = nil
    for word in ["answer:", "####", "answer is"] {
        if let r = response.range(of: word, options: [.backwards, .caseInsensitive]),
            best.map({ r.lowerBound > $0.lowerBound }) ?? true
        {
            best = r
        }
    }
    return best.map { response[$0.upperBound...] }
}

/// Final-number extraction and exact match (GSM8K-style "flexible" extraction).
///
/// The extracted answer is the number after the last `Answer:` or `####` marker when there is
/// one, else the last number in the text; thousands separators are removed and a trailing `.0…`
/// is dropped. Correct when it equals the reference answer normalized the same way.
public struct FinalNumberChecker: TextAnswerChecker {
    public var name: String { "final-number" }

    public init() {}

    public func extract(from response: String) -> String? {
        let lower = response.lowercased()
        var marker: Range<String.Index>? = nil
        for word in ["answer:", "####", "answer is"] {
            if let r = lower.range(of: word, options: .backwards), marker.map({ r.lowerBound > $0.lowerBound }) ?? true
            {
                marker = r
            }
        }
        if let marker, let n = Self.numbers(in: String(lower[marker.upperBound...])).first { return n }
        return Self.numbers(in: lower).last
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        guard let got = extract(from: response), let want = Self.numbers(in: answer).last else { return false }
        return got == want
    }

    /// Integers and decimals in `text`, normalized: "1,234" → "1234", "-5" → "-5", "7.0" → "7".
    static func numbers(in text: String) -> [String] {
        var result: [String] = []
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let startsNumber = c.properties.numericType != nil && ("0"..."9").contains(c)
            if startsNumber {
                var j = i
                var s = ""
                if i > 0 && chars[i - 1] == "-" && (i < 2 || !CharacterSet.alphanumerics.contains(chars[i - 2])) {
                    s = "-"
                }
                while j < chars.count {
                    let d = chars[j]
                    if ("0"..."9").contains(d) {
                        s.unicodeScalars.append(d)
                        j += 1
                        continue
                    }
                    if d == ",", j + 3 < chars.count, (1...3).allSatisfy({ ("0"..."9").contains(chars[j + $0]) }),
                        j + 4 >= chars.count || !("0"..."9").contains(chars[j + 4])
                    {
                        j += 1
                        continue
                    }
                    if d == ".", j + 1 < chars.count, ("0"..."9").contains(chars[j + 1]) {
                        s.unicodeScalars.append(d)
                        j += 1
                        continue
                    }
                    break
                }
                if s.contains(".") {
                    while s.hasSuffix("0") { s.removeLast() }
                    if s.hasSuffix(".") { s.removeLast() }
                }
                if s == "-0" { s = "0" }
                result.append(s)
                i = j
            } else {
                i += 1
            }
        }
        return result
    }
}

/// Exact string match: the text after the last `Answer:` marker (or the whole response), first
/// line, trimmed of spaces and a final period, against the reference answer trimmed the same way;
/// `ignoringCase` compares case-insensitively.
public struct ExactChecker: TextAnswerChecker {
    public var ignoringCase: Bool
    public var name: String { ignoringCase ? "exact-ci" : "exact" }

    public init(ignoringCase: Bool = false) { self.ignoringCase = ignoringCase }

    static func clean(_ text: Substring) -> String {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let newline = t.firstIndex(where: \.isNewline) { t = String(t[..<newline]) }
        t = t.trimmingCharacters(in: .whitespaces)
        while t.hasSuffix(".") { t.removeLast() }
        return t.trimmingCharacters(in: .whitespaces)
    }

    public func extract(from response: String) -> String? {
        let t = Self.clean(afterLastAnswerMarker(response) ?? Substring(response))
        return t.isEmpty ? nil : t
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        guard let got = extract(from: response) else { return false }
        let want = Self.clean(Substring(answer))
        return ignoringCase ? got.lowercased() == want.lowercased() : got == want
    }
}

/// A regular expression picks the answer: the last match's first capture group (or the whole
/// match when the pattern has no group), trimmed, must equal the reference answer trimmed.
public struct RegexChecker: TextAnswerChecker {
    public let pattern: String
    public var name: String { "regex:\(pattern)" }

    /// Throws a `LoadTestingError` when `pattern` is not a valid regular expression.
    public init(pattern: String) throws {
        do { _ = try NSRegularExpression(pattern: pattern) } catch {
            throw LoadTestingError.invalidArgument(
                "--checker regex:\(pattern): not a valid regular expression (\(error.localizedDescription)); example: --checker 'regex:Answer: *([0-9]+)'"
            )
        }
        self.pattern = pattern
    }

    public func extract(from response: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        let range = NSRange(response.startIndex..., in: response)
        guard let match = regex.matches(in: response, range: range).last else { return nil }
        let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
        guard let r = Range(group, in: response) else { return nil }
        return response[r].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        extract(from: response) == answer.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Multiple choice: the chosen letter A–Z is the one after the last `Answer:` / `answer is`
/// marker (`Answer: (B)`, `the answer is C.`), else the last standalone capital letter in
/// parentheses or alone (`(D)`, ` D.`). The reference answer is a letter (`B`, `(B)`) or a
/// 0-based choice index.
public struct MultipleChoiceChecker: TextAnswerChecker {
    public var name: String { "choice" }
    public init() {}

    static func letters(in text: Substring) -> [Character] {
        var result: [Character] = []
        let chars = Array(text)
        for (k, c) in chars.enumerated() where c.isASCII && c.isUppercase {
            let before = k > 0 ? chars[k - 1] : " "
            let after = k + 1 < chars.count ? chars[k + 1] : " "
            let separatedBefore = !before.isLetter && !before.isNumber
            let separatedAfter = !after.isLetter && !after.isNumber && after != "'"
            if separatedBefore && separatedAfter { result.append(c) }
        }
        return result
    }

    public func extract(from response: String) -> String? {
        if let tail = afterLastAnswerMarker(response), let first = Self.letters(in: tail).first {
            return String(first)
        }
        return Self.letters(in: Substring(response)).last.map(String.init)
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        let a = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        let want: String
        if let index = Int(a), (0..<26).contains(index) {
            want = String(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")[index])
        } else {
            want = a.trimmingCharacters(in: CharacterSet(charactersIn: "() .")).uppercased()
        }
        return extract(from: response) == want
    }
}

/// MATH-style answers: the content of the last `\boxed{…}` (or `\fbox{…}`), else the text after
/// the last `Answer:` marker, normalized as Hendrycks et al.'s MATH grader does
/// (`math_equivalence.py`, https://github.com/hendrycks/math): spaces, `\left`/`\right`, `\!`,
/// `$`, `\%`, degree signs and `\text{…}` units dropped; `\dfrac`/`\tfrac` → `\frac`;
/// `\frac12` → `\frac{1}{2}`; `a/b` → `\frac{a}{b}`; `0.5` → `\frac{1}{2}`; a short `x=` prefix
/// removed — and, beyond MATH, numbers compared by value (`0.50`, `1/2`, `\frac{2}{4}`, `.5` are
/// all one half; a trailing `.0` is dropped).
public struct BoxedChecker: TextAnswerChecker {
    public var name: String { "boxed" }
    public init() {}

    /// The content of the last `\boxed{…}` / `\fbox{…}` (braces balanced), or of `\boxed x`.
    public static func lastBoxed(in text: String) -> String? {
        guard let r = text.range(of: "\\boxed", options: .backwards) ?? text.range(of: "\\fbox", options: .backwards)
        else { return nil }
        var i = r.upperBound
        while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
        guard i < text.endIndex else { return nil }
        if text[i] != "{" {
            // `\boxed 5`: up to the next space or `$`.
            let rest = text[i...].prefix { $0 != "$" && !$0.isWhitespace }
            return rest.isEmpty ? nil : String(rest)
        }
        var depth = 0
        var start: String.Index? = nil
        var j = i
        while j < text.endIndex {
            let c = text[j]
            if c == "{" {
                depth += 1
                if depth == 1 { start = text.index(after: j) }
            } else if c == "}" {
                depth -= 1
                if depth == 0, let start { return String(text[start..<j]) }
            }
            j = text.index(after: j)
        }
        return nil
    }

    public func extract(from response: String) -> String? {
        if let boxed = Self.lastBoxed(in: response) { return boxed }
        if let tail = afterLastAnswerMarker(response) {
            let t = ExactChecker.clean(tail)
            return t.isEmpty ? nil : t
        }
        return nil
    }

    public func isCorrect(response: String, answer: String) -> Bool {
        guard let got = extract(from: response) else { return false }
        let want = Self.lastBoxed(in: answer) ?? answer
        return Self.equivalent(got, want)
    }

    /// Whether two answers are the same after normalization (and, when both are numbers, by value).
    public static func equivalent(_ a: String, _ b: String) -> Bool {
        let x = normalize(a)
        let y = normalize(b)
        if x == y { return true }
        if let p = rational(x), let q = rational(y) { return p == q }
        return false
    }

    /// MATH's `strip_string`, plus a trailing-zero rule.
    public static func normalize(_ input: String) -> String {
        var s = input.replacingOccurrences(of: "\n", with: "")
        s = s.replacingOccurrences(of: "\\!", with: "")
        s = s.replacingOccurrences(of: "\\\\", with: "\\")
        s = s.replacingOccurrences(of: "tfrac", with: "frac").replacingOccurrences(of: "dfrac", with: "frac")
        s = s.replacingOccurrences(of: "\\left", with: "").replacingOccurrences(of: "\\right", with: "")
        s = s.replacingOccurrences(of: "^{\\circ}", with: "").replacingOccurrences(of: "^\\circ", with: "")
        s = s.replacingOccurrences(of: "\\$", with: "").replacingOccurrences(of: "$", with: "")
        s = removeTextUnits(s)
        s = s.replacingOccurrences(of: "\\%", with: "").replacingOccurrences(of: "%", with: "")
        s = s.replacingOccurrences(of: " .", with: " 0.").replacingOccurrences(of: "{.", with: "{0.")
        if s.hasPrefix(".") { s = "0" + s }
        // "x = 5" → "5" when the left side is short (a variable name).
        let parts = s.split(separator: "=", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).count <= 2 {
            s = String(parts[1])
        }
        s = fixSqrt(s)
        s = s.replacingOccurrences(of: " ", with: "")
        s = fixFracs(s)
        if s == "0.5" { s = "\\frac{1}{2}" }
        s = fixSlash(s)
        while s.hasSuffix(".") { s.removeLast() }
        if s.contains("."), !s.contains("\\"), Double(s) != nil {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `\text{ cm}` and `\mbox{…}` units dropped (MATH's `remove_right_units`, generalized).
    static func removeTextUnits(_ s: String) -> String {
        var t = s
        for command in ["\\text{", "\\mbox{", "\\mathrm{"] {
            while let r = t.range(of: command) {
                guard let close = t[r.upperBound...].firstIndex(of: "}") else { break }
                let inner = t[r.upperBound..<close]
                // Keep the content when the whole answer is the text (e.g. \text{(B)}).
                let before = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                t =
                    before.isEmpty
                    ? t.replacingCharacters(in: r.lowerBound...close, with: inner) : String(t[..<r.lowerBound])
            }
        }
        return t
    }

    /// `\sqrt2` → `\sqrt{2}`.
    static func fixSqrt(_ s: String) -> String {
        let parts = s.components(separatedBy: "\\sqrt")
        guard parts.count > 1 else { return s }
        var out = parts[0]
        for part in parts.dropFirst() {
            if let first = part.first, first != "{" {
                out += "\\sqrt{\(first)}" + part.dropFirst()
            } else {
                out += "\\sqrt" + part
            }
        }
        return out
    }

    /// `\frac12` → `\frac{1}{2}`, `\frac1{2}` → `\frac{1}{2}`.
    static func fixFracs(_ s: String) -> String {
        let parts = s.components(separatedBy: "\\frac")
        guard parts.count > 1 else { return s }
        var out = parts[0]
        for part in parts.dropFirst() {
            out += "\\frac"
            let chars = Array(part)
            if chars.first == "{" {
                out += part
                continue
            }
            guard chars.count >= 2 else { return s }
            let a = chars[0]
            let b = chars[1]
            if b != "{" {
                out += "{\(a)}{\(b)}" + String(chars.dropFirst(2))
            } else {
                out += "{\(a)}" + String(chars.dropFirst(1))
            }
        }
        return out
    }

    /// `3/4` → `\frac{3}{4}` when both sides are integers.
    static func fixSlash(_ s: String) -> String {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return s }
        return "\\frac{\(a)}{\(b)}"
    }

    /// A normalized answer as an exact fraction (numerator, denominator in lowest terms, positive
    /// denominator): integers, decimals, `\frac{a}{b}`, `-\frac{a}{b}`; nil for anything else.
    static func rational(_ s: String) -> Rational? {
        var t = Substring(s)
        var negative = false
        if t.hasPrefix("-") {
            negative = true
            t = t.dropFirst()
        }
        if t.hasPrefix("\\frac{") {
            let body = t.dropFirst("\\frac{".count)
            guard let close = body.firstIndex(of: "}"), body[body.index(after: close)...].hasPrefix("{"),
                body.hasSuffix("}")
            else { return nil }
            let numerator = body[..<close]
            let denominator = body[body.index(close, offsetBy: 2)..<body.index(before: body.endIndex)]
            guard let p = rational(String(numerator)), let q = rational(String(denominator)), q.numerator != 0 else {
                return nil
            }
            let r = Rational(p.numerator * q.denominator, p.denominator * q.numerator)
            return negative ? Rational(-r.numerator, r.denominator) : r
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == ",") }) else { return nil }
        let digits = t.replacingOccurrences(of: ",", with: "")
        let pieces = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, pieces[0].count <= 18, pieces.count == 1 || pieces[1].count <= 18 else { return nil }
        let whole = Int(pieces[0].isEmpty ? "0" : pieces[0]) ?? 0
        var numerator = whole
        var denominator = 1
        if pieces.count == 2, !pieces[1].isEmpty {
            guard let fraction = Int(pieces[1]) else { return nil }
            var scale = 1
            for _ in 0..<pieces[1].count { scale *= 10 }
            let (n, overflow) = whole.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            numerator = n + fraction
            denominator = scale
        }
        let r = Rational(numerator, denominator)
        return negative ? Rational(-r.numerator, r.denominator) : r
    }

    /// A fraction in lowest terms.
    struct Rational: Equatable {
        var numerator: Int
        var denominator: Int
        init(_ n: Int, _ d: Int) {
            var a = abs(n)
            var b = abs(d)
            while b != 0 { (a, b) = (b, a % b) }
            let g = max(a, 1)
            let sign = (d < 0) != (n < 0) ? -1 : 1
            numerator = sign * abs(n) / g
            denominator = abs(d) / g
        }
    }
}

/// The built-in checkers by name, for `t2 sample --checker`.
public enum CheckerChoice {
    /// The names `--checker` accepts, for help texts.
    public static let names = "final-number, exact, exact-ci, regex:PATTERN, choice, boxed, code"

    /// The checker named by `text`; throws a `LoadTestingError` naming the choices otherwise.
    public static func parse(
        _ text: String,
        codeTimeoutSeconds: Double = 10,
        codeMemoryBytes: Int = 1 << 30
    ) throws -> any AnswerChecker {
        switch text {
        case "final-number", "number": return FinalNumberChecker()
        case "exact": return ExactChecker()
        case "exact-ci": return ExactChecker(ignoringCase: true)
        case "choice", "multiple-choice": return MultipleChoiceChecker()
        case "boxed", "math": return BoxedChecker()
        case "code":
            let checker = CodeChecker(timeoutSeconds: codeTimeoutSeconds, memoryBytes: codeMemoryBytes)
            guard checker.interpreterPath() != nil else {
                throw LoadTestingError.invalidArgument(
                    "--checker code runs the candidates with python3, which is not in PATH; install Python 3"
                )
            }
            return checker
        default:
            if text.hasPrefix("regex:") { return try RegexChecker(pattern: String(text.dropFirst("regex:".count))) }
            throw LoadTestingError.invalidArgument("--checker: unknown checker '\(text)'; use one of \(names)")
        }
    }
}
