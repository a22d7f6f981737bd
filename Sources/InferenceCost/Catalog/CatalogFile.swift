import Foundation

/// A catalog file: every list is optional, so a user's `--catalog FILE` can add or replace a
/// few entries (matched by `name`) and inherit the rest from the built-in catalog.
public struct CatalogFile: Codable, Sendable {
    public var hardware: [Hardware]?
    public var models: [ModelArchitecture]?
    public var imageModels: [ImageModel]?
    public var quantizations: [QuantizationFormat]?
    public var kvCachePrecisions: [KVCachePrecision]?
    public var quantFamilies: [QuantFamily]?
    public var engines: [Engine]?
    public var global: GlobalParameters?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hardware
        case models
        case imageModels
        case quantizations
        case kvCachePrecisions
        case quantFamilies
        case engines
        case global
    }

    public init(
        hardware: [Hardware]? = nil,
        models: [ModelArchitecture]? = nil,
        imageModels: [ImageModel]? = nil,
        quantizations: [QuantizationFormat]? = nil,
        kvCachePrecisions: [KVCachePrecision]? = nil,
        quantFamilies: [QuantFamily]? = nil,
        engines: [Engine]? = nil,
        global: GlobalParameters? = nil
    ) {
        self.hardware = hardware
        self.models = models
        self.imageModels = imageModels
        self.quantizations = quantizations
        self.kvCachePrecisions = kvCachePrecisions
        self.quantFamilies = quantFamilies
        self.engines = engines
        self.global = global
    }

    /// The top-level keys a catalog file may have.
    public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Decodes a catalog document, refusing what a plain `Codable` decode would let through
    /// silently: unknown or misspelled keys (at the top, in an entry, or in an entry's nested
    /// objects), each named with the file, the entry and the nearest known key.
    public static func decode(_ data: Data, source: String) throws -> CatalogFile {
        try checkKeys(data, source: source)
        do {
            return try JSONDecoder().decode(CatalogFile.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError(decoding: error, source: source)
        } catch {
            throw CatalogError(source: source, problem: "is not a catalog (\(error.localizedDescription))")
        }
    }

    /// Throws for the first unknown key; leaves syntax errors to the decoder, which reports them
    /// with their position.
    static func checkKeys(_ data: Data, source: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return }
        guard let top = root as? [String: Any] else {
            throw CatalogError(
                source: source,
                problem: "is not a catalog: the top level must be a JSON object",
                hint: "Write {\"hardware\": [...], \"models\": [...]} (see docs/cost-model.md, 'Catalog files')"
            )
        }
        if let key = top.keys.sorted().first(where: { !jsonKeys.contains($0) }) {
            throw CatalogError.unknownKey(key, allowed: jsonKeys, source: source, entry: "top level", what: "a catalog")
        }
        func entries<T: CatalogEntry>(_ type: T.Type) throws {
            guard let list = top[T.listName] as? [Any] else { return }
            for (i, item) in list.enumerated() {
                guard let object = item as? [String: Any] else { continue }  // the decoder names the type error
                let label = (object["name"] as? String).map { "\(T.listName)[\(i)] '\($0)'" } ?? "\(T.listName)[\(i)]"
                if let key = object.keys.sorted().first(where: { !T.jsonKeys.contains($0) }) {
                    throw CatalogError.unknownKey(
                        key,
                        allowed: T.jsonKeys,
                        source: source,
                        entry: label,
                        what: "a \(T.listName) entry"
                    )
                }
                if let nested = T.nestedUnknownKeys(in: object).first {
                    throw CatalogError.unknownKey(
                        nested.key,
                        allowed: nested.allowed,
                        source: source,
                        entry: "\(label).\(nested.path)",
                        what: nested.path
                    )
                }
            }
        }
        try entries(Hardware.self)
        try entries(ModelArchitecture.self)
        try entries(ImageModel.self)
        try entries(QuantizationFormat.self)
        try entries(KVCachePrecision.self)
        try entries(QuantFamily.self)
        try entries(Engine.self)
        if let global = top["global"] as? [String: Any],
            let key = global.keys.sorted().first(where: { !GlobalParameters.jsonKeys.contains($0) })
        {
            throw CatalogError.unknownKey(
                key,
                allowed: GlobalParameters.jsonKeys,
                source: source,
                entry: "global",
                what: "global"
            )
        }
    }
}

extension CatalogError {
    /// An unknown key, with the nearest known one as the suggestion.
    static func unknownKey(
        _ key: String,
        allowed: [String],
        source: String,
        entry: String,
        what: String
    ) -> CatalogError {
        let nearest = nearestNames(to: key, in: allowed, limit: 1).first
        var hint = nearest.map { "Did you mean '\($0)'? " } ?? ""
        hint += "The keys of \(what) are: \(allowed.joined(separator: ", "))"
        return CatalogError(source: source, entry: entry, problem: "unknown key '\(key)'", hint: hint)
    }
}
