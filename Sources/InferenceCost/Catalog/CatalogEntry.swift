import Foundation

/// What every entry of a catalog list provides: a name and aliases to look it up by, the JSON
/// keys it accepts, and a check of its own values.
///
/// ``Catalog/merge(_:source:)`` calls ``problems()`` on every entry a file adds, and
/// ``CatalogFile/decode(_:source:)`` refuses keys outside ``jsonKeys`` (a misspelled key would
/// otherwise be ignored and its default used without a word).
public protocol CatalogEntry: Codable, Sendable, Equatable {
    /// The list's key in a catalog file (`hardware`, `models`, …).
    static var listName: String { get }
    /// The JSON keys an entry may have.
    static var jsonKeys: [String] { get }
    /// The catalog key of the entry.
    var name: String { get }
    /// Other accepted spellings.
    var aliases: [String]? { get }
    /// What is wrong with the entry's values (for example "memoryGB must be > 0"); empty when valid.
    func problems() -> [String]
    /// Unknown keys inside the entry's nested objects: (key path, key, the keys allowed there).
    static func nestedUnknownKeys(in object: [String: Any]) -> [(path: String, key: String, allowed: [String])]
}

extension CatalogEntry {
    public static func nestedUnknownKeys(in object: [String: Any]) -> [(path: String, key: String, allowed: [String])] {
        []
    }
}

/// Small checks shared by the entries' ``CatalogEntry/problems()``.
enum Check {
    /// A finite value > 0.
    static func positive(_ v: Double) -> Bool { v.isFinite && v > 0 }
    /// A finite value in (0, 1].
    static func fraction(_ v: Double) -> Bool { v.isFinite && v > 0 && v <= 1 }
    /// A finite value ≥ 0.
    static func nonNegative(_ v: Double) -> Bool { v.isFinite && v >= 0 }
    /// The largest count the cost model accepts for a whole-number quantity kept as a Double
    /// (batch limits, steps, tokens): beyond it conversions to Int could trap.
    static let largestCount = 1e12

    /// Collects `problem` when `ok` is false.
    static func require(_ ok: Bool, _ problem: @autoclosure () -> String, into problems: inout [String]) {
        if !ok { problems.append(problem()) }
    }

    /// Keys of `object` not in `allowed`, with `path` as their location.
    static func unknownKeys(
        _ object: [String: Any],
        allowed: [String],
        path: String
    ) -> [(path: String, key: String, allowed: [String])] {
        object.keys.sorted().filter { !allowed.contains($0) }.map { (path, $0, allowed) }
    }
}
