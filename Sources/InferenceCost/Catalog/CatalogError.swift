import Foundation

/// A malformed catalog or calibration file.
public struct CatalogError: Error, LocalizedError, Equatable, Sendable {
    /// The file (or "built-in catalog").
    public var source: String
    /// The entry or key path, e.g. `hardware[3] 'my-gpu'` or `hardware[3].bandwidthGBps`.
    public var entry: String?
    public var problem: String
    public var hint: String?

    public init(source: String, entry: String? = nil, problem: String, hint: String? = nil) {
        self.source = source
        self.entry = entry
        self.problem = problem
        self.hint = hint
    }

    init(decoding error: DecodingError, source: String) {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let i = key.intValue {
                    text += "[\(i)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "top level" : text
        }
        let schemaHint = "See docs/cost-model.md ('Catalog files') for the schema; every list is optional"
        switch error {
        case .keyNotFound(let key, let context):
            let where_ = path(context.codingPath)
            self.init(source: source, entry: where_, problem: "missing key '\(key.stringValue)'", hint: schemaHint)
        case .typeMismatch(let type, let context):
            self.init(
                source: source,
                entry: path(context.codingPath),
                problem: "has the wrong type (expected \(type))",
                hint: schemaHint
            )
        case .valueNotFound(let type, let context):
            self.init(
                source: source,
                entry: path(context.codingPath),
                problem: "is null (expected \(type))",
                hint: schemaHint
            )
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            self.init(
                source: source,
                entry: context.codingPath.isEmpty ? nil : path(context.codingPath),
                problem: "is not valid JSON or has an invalid value (\(underlying ?? context.debugDescription))",
                hint: "Check the file with a JSON validator"
            )
        @unknown default:
            self.init(source: source, problem: "cannot be decoded (\(error))")
        }
    }

    public var errorDescription: String? {
        var text = source
        if let entry { text += ": \(entry)" }
        text += ": \(problem)"
        if let hint { text += ". \(hint)" }
        return text
    }
}

/// Errors of the cost model that a user can act on.
public enum CostModelError: Error, LocalizedError, Equatable, Sendable {
    /// A name that is in no catalog list; `suggestions` are the nearest known names.
    case unknownName(kind: String, name: String, suggestions: [String])
    /// The engine has no profile for the hardware's class.
    case unsupported(engine: String, hardwareClass: String, hardware: String, supported: [String])
    /// An impossible deployment value.
    case invalidValue(name: String, value: String, expected: String)
    /// Nothing to calibrate on.
    case noUsableMeasurements(source: String, reason: String)
    /// A text model given where an image model is needed, or the other way round.
    case wrongModality(name: String, expected: String, hint: String)

    public var errorDescription: String? {
        switch self {
        case .unknownName(let kind, let name, let suggestions):
            var text = "unknown \(kind) '\(name)'"
            if !suggestions.isEmpty {
                text += "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?"
            }
            let list: String
            switch kind {
            case "KV-cache precision": list = "kv"
            case "quantization": list = "quants"
            case "model": list = "models"
            case "image model": list = "image-models"
            case "engine": list = "engines"
            default: list = "hardware"
            }
            return text + " (`t2 cost --list \(list)` shows them all; `--catalog FILE` adds your own)"
        case .unsupported(let engine, let hardwareClass, let hardware, let supported):
            return
                "engine '\(engine)' has no profile for \(hardwareClass) hardware ('\(hardware)'); it runs on: \(supported.joined(separator: ", ")). Pick another --engine or add a profile with --catalog"
        case .invalidValue(let name, let value, let expected):
            return "\(name) = \(value) is impossible: expected \(expected)"
        case .noUsableMeasurements(let source, let reason):
            return "\(source): no measurement rows can be used for calibration (\(reason))"
        case .wrongModality(let name, let expected, let hint):
            return "'\(name)' is not \(expected). \(hint)"
        }
    }
}
