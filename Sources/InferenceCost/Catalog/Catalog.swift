import Foundation
import Tabular

/// The hardware, model, quantization and engine catalogs, indexed by name and alias.
public struct Catalog: Sendable {
    public private(set) var hardware: [Hardware] = []
    public private(set) var models: [ModelArchitecture] = []
    public private(set) var imageModels: [ImageModel] = []
    public private(set) var quantizations: [QuantizationFormat] = []
    public private(set) var kvCachePrecisions: [KVCachePrecision] = []
    public private(set) var quantFamilies: [QuantFamily] = []
    public private(set) var engines: [Engine] = []
    public private(set) var global = GlobalParameters(overlap: 3, allReduceUs: 8)

    private var hardwareIndex: [String: Int] = [:]
    private var modelIndex: [String: Int] = [:]
    private var imageModelIndex: [String: Int] = [:]
    private var quantIndex: [String: Int] = [:]
    private var kvIndex: [String: Int] = [:]
    private var familyIndex: [String: Int] = [:]
    private var engineIndex: [String: Int] = [:]

    /// The catalog compiled into t2 (the JSON in `BuiltInCatalog.swift`).
    public static let builtIn: Catalog = {
        do {
            return try Catalog(json: Data(BuiltInCatalog.json.utf8), source: "built-in catalog")
        } catch {
            fatalError("t2's built-in catalog is malformed: \(error.localizedDescription)")
        }
    }()

    /// An empty catalog.
    public init() {}

    /// Parses and checks a catalog JSON document (lists absent from it stay empty).
    public init(json: Data, source: String) throws {
        self.init()
        try merge(try CatalogFile.decode(json, source: source), source: source)
    }

    /// The built-in catalog with the entries of the JSON file at `path` added (same name: replaced).
    public static func builtIn(mergedWith path: String) throws -> Catalog {
        var catalog = Catalog.builtIn
        try catalog.merge(contentsOf: path)
        return catalog
    }

    /// Adds (or replaces by name) the entries of the JSON catalog file at `path` (`-`: standard
    /// input).
    public mutating func merge(contentsOf path: String) throws {
        let data: Data
        do { data = try InputFile.read(path, limit: 64 << 20) } catch let error as TabularError {
            throw CatalogError(
                source: path,
                problem: error.problem,
                hint: error.hint ?? "Check the path given to --catalog"
            )
        }
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        try merge(try CatalogFile.decode(Data(body), source: path), source: path)
    }

    /// Adds (or replaces by name) the entries of `file`, checking every added entry (its values,
    /// and that no name or alias appears twice in the file).
    public mutating func merge(_ file: CatalogFile, source: String) throws {
        func add<T: CatalogEntry>(_ list: [T]?, into entries: inout [T], index: inout [String: Int]) throws {
            var seen: [String: Int] = [:]
            for (i, entry) in (list ?? []).enumerated() {
                let label = "\(T.listName)[\(i)] '\(entry.name)'"
                if let problem = entry.problems().first {
                    throw CatalogError(
                        source: source,
                        entry: label,
                        problem: problem,
                        hint: "Fix the entry (see docs/cost-model.md, 'Catalog files') or remove it"
                    )
                }
                for spelling in [entry.name] + (entry.aliases ?? []) {
                    let key = Catalog.key(spelling)
                    if let first = seen[key] {
                        throw CatalogError(
                            source: source,
                            entry: label,
                            problem: "the name '\(spelling)' is already used by \(T.listName)[\(first)] in this file",
                            hint:
                                "Give every entry its own name and aliases (an entry of the built-in catalog is replaced by giving its name)"
                        )
                    }
                    seen[key] = i
                }
                Catalog.upsert(entry, name: entry.name, aliases: entry.aliases, into: &entries, index: &index)
            }
        }
        try add(file.quantFamilies, into: &quantFamilies, index: &familyIndex)
        try add(file.kvCachePrecisions, into: &kvCachePrecisions, index: &kvIndex)
        try add(file.hardware, into: &hardware, index: &hardwareIndex)
        try add(file.models, into: &models, index: &modelIndex)
        try add(file.imageModels, into: &imageModels, index: &imageModelIndex)
        try add(file.engines, into: &engines, index: &engineIndex)
        try add(file.quantizations, into: &quantizations, index: &quantIndex)
        if let g = file.global {
            if let problem = g.problems().first {
                throw CatalogError(source: source, entry: "global", problem: problem)
            }
            global = g
        }
        // Cross references, checked after the whole file so that order does not matter.
        for (i, q) in quantizations.enumerated() where familyIndex[Catalog.key(q.family)] == nil {
            throw CatalogError(
                source: source,
                entry: "quantizations[\(i)] '\(q.name)'",
                problem: "family '\(q.family)' is not in quantFamilies",
                hint: "Use one of: \(quantFamilies.map(\.name).joined(separator: ", ")), or add it to quantFamilies"
            )
        }
        for (i, e) in engines.enumerated() where kvIndex[Catalog.key(e.defaultKVCache)] == nil {
            throw CatalogError(
                source: source,
                entry: "engines[\(i)] '\(e.name)'",
                problem: "defaultKVCache '\(e.defaultKVCache)' is not in kvCachePrecisions",
                hint: "Use one of: \(kvCachePrecisions.map(\.name).joined(separator: ", "))"
            )
        }
    }

    static func key(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    private static func upsert<T>(
        _ item: T,
        name: String,
        aliases: [String]?,
        into list: inout [T],
        index: inout [String: Int]
    ) {
        let position: Int
        if let existing = index[key(name)] {
            list[existing] = item
            position = existing
        } else {
            list.append(item)
            position = list.count - 1
        }
        index[key(name)] = position
        for alias in aliases ?? [] { index[key(alias)] = position }
    }

    private static func find<T>(
        _ name: String,
        kind: String,
        in list: [T],
        index: [String: Int]
    ) throws -> T {
        if let i = index[key(name)] { return list[i] }
        throw CostModelError.unknownName(
            kind: kind,
            name: name,
            suggestions: nearestNames(to: key(name), in: Array(index.keys))
        )
    }

    /// The hardware called `name` (or an alias); throws ``CostModelError/unknownName(kind:name:suggestions:)``
    /// with the nearest names otherwise.
    public func hardware(named name: String) throws -> Hardware {
        try Catalog.find(name, kind: "hardware", in: hardware, index: hardwareIndex)
    }

    /// The language-model architecture called `name`. An image model's name gets an error that
    /// says so.
    public func model(named name: String) throws -> ModelArchitecture {
        if modelIndex[Catalog.key(name)] == nil, imageModelIndex[Catalog.key(name)] != nil {
            throw CostModelError.wrongModality(
                name: name,
                expected: "a language model",
                hint:
                    "It is an image model: price it with --resolution and --steps (t2 cost --model \(name) --hardware …)"
            )
        }
        return try Catalog.find(name, kind: "model", in: models, index: modelIndex)
    }

    /// The image (diffusion) model called `name`.
    public func imageModel(named name: String) throws -> ImageModel {
        try Catalog.find(name, kind: "image model", in: imageModels, index: imageModelIndex)
    }

    /// Whether `name` is an image model of this catalog (and not a language model).
    public func isImageModel(_ name: String) -> Bool {
        imageModelIndex[Catalog.key(name)] != nil && modelIndex[Catalog.key(name)] == nil
    }

    /// The quantization format called `name`.
    public func quantization(named name: String) throws -> QuantizationFormat {
        try Catalog.find(name, kind: "quantization", in: quantizations, index: quantIndex)
    }

    /// The KV-cache precision called `name`.
    public func kvCache(named name: String) throws -> KVCachePrecision {
        try Catalog.find(name, kind: "KV-cache precision", in: kvCachePrecisions, index: kvIndex)
    }

    /// The engine called `name`.
    public func engine(named name: String) throws -> Engine {
        try Catalog.find(name, kind: "engine", in: engines, index: engineIndex)
    }

    /// The quantization family called `name`.
    public func quantFamily(named name: String) throws -> QuantFamily {
        try Catalog.find(name, kind: "quantization family", in: quantFamilies, index: familyIndex)
    }

    /// The engine used when none is named: llama.cpp on Apple silicon, on CPUs and for GGUF
    /// formats, vLLM otherwise (both as spelled in the built-in catalog); for image models,
    /// diffusers.
    public func defaultEngine(for hardware: Hardware, quant: QuantizationFormat, images: Bool = false) -> Engine? {
        let preferred: String
        if images {
            preferred = "diffusers"
        } else {
            preferred =
                hardware.hardwareClass == "apple" || hardware.isCPU || quant.isGGUF ? "llama.cpp" : "vllm"
        }
        if let i = engineIndex[preferred], engines[i].profiles[hardware.hardwareClass] != nil { return engines[i] }
        return engines.first { $0.servesImages == images && $0.profiles[hardware.hardwareClass] != nil }
    }
}
