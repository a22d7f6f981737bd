import Foundation

/// A parsed JSON value read leniently: object keys are looked up in snake_case and camelCase, a
/// number may be written as the strings "inf", "-inf" or "nan" (as t2 writes non-finite values),
/// and unknown fields are simply not asked for. Readers of t2's documents use it so that new
/// fields (and the `schema` string) never break a report.
public indirect enum JSONDocument: Sendable, Equatable {
    case object([String: JSONDocument])
    case array([JSONDocument])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Parses `data`; throws ``ReportError/notJSON`` with the parser's reason.
    public static func parse(_ data: Data, source: String) throws -> JSONDocument {
        do {
            return try JSONDecoder().decode(JSONDocument.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw ReportError.notJSON(file: source, reason: underlying ?? context.debugDescription)
        } catch {
            throw ReportError.notJSON(file: source, reason: "\(error)")
        }
    }

    /// The member named `key` (snake_case), also found under its camelCase spelling.
    public subscript(key: String) -> JSONDocument? {
        guard case .object(let members) = self else { return nil }
        if let v = members[key] { return v }
        let camel = Self.camelCase(key)
        if camel != key, let v = members[camel] { return v }
        // Acronyms: weights_gb ~ weightsGB, ttft_ms ~ ttftMs, usd_per_million ~ USDPerMillion.
        let folded = Self.fold(key)
        for k in members.keys.sorted() where Self.fold(k) == folded { return members[k] }
        return nil
    }

    /// Element `i` of an array.
    public subscript(index: Int) -> JSONDocument? {
        guard case .array(let a) = self, index >= 0, index < a.count else { return nil }
        return a[index]
    }

    /// The number (also "inf", "-inf", "nan" and numeric strings).
    public var double: Double? {
        switch self {
        case .number(let n): return n
        case .string(let s):
            switch s.lowercased() {
            case "inf", "+inf", "infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            case "nan": return .nan
            default: return Double(s)
            }
        default: return nil
        }
    }

    /// A whole number.
    public var int: Int? {
        guard let d = double, d.isFinite, d.rounded() == d, abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSONDocument]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Object members sorted by key (object order is not kept by JSON parsers, so sorted order is
    /// the deterministic one).
    public var members: [(key: String, value: JSONDocument)]? {
        guard case .object(let o) = self else { return nil }
        return o.keys.sorted().map { (key: $0, value: o[$0]!) }
    }

    /// Whether the member exists (in either spelling) and is not null.
    public func has(_ key: String) -> Bool {
        guard let v = self[key] else { return false }
        return v != .null
    }

    /// A `[low, high]` pair, or an object with `lower`/`upper` or `low`/`high`.
    public var interval: (Double, Double)? {
        if let a = array, a.count == 2, let lo = a[0].double, let hi = a[1].double { return (lo, hi) }
        if let lo = self["lower"]?.double ?? self["low"]?.double,
            let hi = self["upper"]?.double ?? self["high"]?.double
        {
            return (lo, hi)
        }
        return nil
    }

    static func fold(_ key: String) -> String { String(key.lowercased().filter { $0 != "_" && $0 != "-" }) }

    static func camelCase(_ key: String) -> String {
        guard key.contains("_") else { return key }
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// Why a document cannot be reported.
public enum ReportError: Error, LocalizedError, Sendable, Equatable {
    case notJSON(file: String, reason: String)
    case unknownDocument(file: String, keys: [String])
    case missingField(file: String, kind: String, field: String)
    case noInput

    public var errorDescription: String? {
        switch self {
        case .notJSON(let file, let reason):
            return
                "\(file): not a JSON document (\(reason)); t2 report reads what `--format json` of fit, passk, plan, cost, bench and sample prints"
        case .unknownDocument(let file, let keys):
            let shown = keys.prefix(8).joined(separator: ", ")
            return
                "\(file): not a t2 result this version can chart (no known `schema`; top-level keys: \(shown.isEmpty ? "none" : shown)); give the JSON that `t2 fit|passk|plan|cost|bench|sample --format json` prints"
        case .missingField(let file, let kind, let field):
            return
                "\(file): a \(kind) result without '\(field)'; was it cut short? Rerun the command with --format json"
        case .noInput:
            return "give at least one result JSON file, e.g. t2 report plan.json --out report.html"
        }
    }
}

extension JSONDocument: Decodable {
    public init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONDocument] = []
            while !array.isAtEnd { elements.append(try array.decode(JSONDocument.self)) }
            self = .array(elements)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: JSONDocument] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(JSONDocument.self, forKey: key) }
            self = .object(members)
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let b = try? value.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? value.decode(Double.self) {
            self = .number(n)
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
