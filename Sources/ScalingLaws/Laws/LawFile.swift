import Foundation
import Tabular

/// The law JSON written by `t2 fit --out` and read by `t2 plan --law`.
///
/// ```json
/// {
///   "form": "chinchilla",
///   "parameters": {"E": 1.817, "A": 477.8, "B": 2143, "alpha": 0.3473, "beta": 0.3672},
///   "objective": 0.00101827, "points": 240, "status": "converged (function)",
///   "data": {"path": "runs.csv", "rows": 245, "sha256": "…"},
///   "fitted_range": {"params": [4.4e7, 1.6e10], "tokens": […], "tokens_per_param": […]},
///   "held_out": {"metric": "mean_abs_relative_loss_error", "value": 0.024, "split": "…"},
///   "bootstrap": [{"E": …, …}, …]
/// }
/// ```
///
/// `parameters` is a flat map so that every form shares one schema; ``ScalingLaw`` interprets it.
/// Unknown keys are ignored, so newer files stay readable by older planners where the form is known.
public struct LawFile: Codable, Sendable, Equatable {
    /// The law form: `chinchilla`, `t2-loss` or `t2-accuracy`.
    public var form: String
    /// The fitted parameters, by name.
    public var parameters: [String: Double]
    /// The fit's objective at the optimum (Huber sum, or negative log-likelihood per form).
    public var objective: Double?
    /// Number of data points the fit used.
    public var points: Int?
    /// Optimizer status of the best start.
    public var status: String?
    /// Where the data came from.
    public var data: DataProvenance?
    /// The N, D and D/N spanned by the data the law was fitted on (nil in files written before
    /// t2 recorded it; `t2 plan` then cannot keep its search inside the data and says so).
    public var fittedRange: FittedRange?
    /// The law's error on data held out of the fit, when the fit held some out.
    public var heldOut: HeldOutSummary?
    /// Bootstrap replicates of `parameters` (for intervals on plans), if the fit ran a bootstrap.
    public var bootstrap: [[String: Double]]?
    /// Free-form notes (which split was held out, which aggregation, …).
    public var notes: [String]?

    enum CodingKeys: String, CodingKey {
        case form
        case parameters
        case objective
        case points
        case status
        case data
        case fittedRange = "fitted_range"
        case heldOut = "held_out"
        case bootstrap
        case notes
    }

    public init(
        form: String,
        parameters: [String: Double],
        objective: Double? = nil,
        points: Int? = nil,
        status: String? = nil,
        data: DataProvenance? = nil,
        fittedRange: FittedRange? = nil,
        heldOut: HeldOutSummary? = nil,
        bootstrap: [[String: Double]]? = nil,
        notes: [String]? = nil
    ) {
        self.form = form
        self.parameters = parameters
        self.objective = objective
        self.points = points
        self.status = status
        self.data = data
        self.fittedRange = fittedRange
        self.heldOut = heldOut
        self.bootstrap = bootstrap
        self.notes = notes
    }

    /// Reads a law file; errors name the file and what is wrong.
    public static func read(from path: String) throws -> LawFile {
        let data: Data
        do { data = try InputFile.read(path, limit: 1 << 28) } catch let error as TabularError {
            throw LawFileError.unreadable(source: path, reason: error.problem)
        }
        let text = String(decoding: data, as: UTF8.self)
        let body = text.hasPrefix("\u{FEFF}") ? Data(text.dropFirst().utf8) : data
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw LawFileError.unreadable(
                source: path,
                reason: "the file is empty; write a law with `t2 fit RUNS.csv --out law.json`"
            )
        }
        do {
            return try JSONDecoder().decode(LawFile.self, from: body)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LawFileError.unreadable(
                source: path,
                reason:
                    "missing key '\(key.stringValue)' (a law file needs 'form' and 'parameters'; write one with `t2 fit --out`)"
            )
        } catch {
            throw LawFileError.unreadable(source: path, reason: "not a law JSON file (\(error))")
        }
    }

    /// Writes the law atomically as pretty, key-sorted JSON.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}

/// Provenance of the data a law was fitted on.
public struct DataProvenance: Codable, Sendable, Equatable {
    /// The path as given on the command line.
    public var path: String
    /// Data rows in the file.
    public var rows: Int
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String?

    public init(path: String, rows: Int, sha256: String?) {
        self.path = path
        self.rows = rows
        self.sha256 = sha256
    }
}

/// Errors reading or interpreting a law file.
public enum LawFileError: Error, LocalizedError, Equatable, Sendable {
    case unreadable(source: String, reason: String)
    case unknownForm(source: String, form: String)
    case missingParameter(source: String, form: String, name: String)
    case invalidParameter(source: String, name: String, value: Double, expected: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(source, reason):
            return "\(source): cannot read law: \(reason)"
        case let .unknownForm(source, form):
            return
                "\(source): unknown law form '\(form)'; expected one of: \(ScalingLaw.knownForms.joined(separator: ", "))"
        case let .missingParameter(source, form, name):
            return "\(source): the \(form) law has no parameter '\(name)'"
        case let .invalidParameter(source, name, value, expected):
            return "\(source): parameter '\(name)' is \(value); expected \(expected)"
        }
    }
}

/// A law the planner can use, read from a ``LawFile``.
///
public enum ScalingLaw: Sendable, Equatable {
    /// Pretraining loss L(N, D); no test-time term.
    case chinchilla(ChinchillaLaw)
    /// T² Approach 1: −ln pass@k = E + A/N^α + B/D^β + G/k^γ.
    case t2Loss(T2LossLaw)
    /// T² Approach 2: Beta per-problem accuracy linked to a Chinchilla-form L̂(N, D).
    case t2Accuracy(T2AccuracyLaw)

    /// The form names this build understands.
    public static var knownForms: [String] { ["chinchilla", "t2-loss", "t2-accuracy"] }

    /// The form name written to law JSON.
    public var form: String {
        switch self {
        case .chinchilla: return "chinchilla"
        case .t2Loss: return "t2-loss"
        case .t2Accuracy: return "t2-accuracy"
        }
    }

    /// The law's named parameters.
    public var parameters: [String: Double] {
        switch self {
        case let .chinchilla(law): return law.parameters
        case let .t2Loss(law): return law.parameters
        case let .t2Accuracy(law): return law.parameters
        }
    }

    /// Interprets a law file.
    public init(_ file: LawFile, source: String) throws {
        switch file.form {
        case "chinchilla":
            self = .chinchilla(try ChinchillaLaw(parameters: file.parameters, source: source))
        case "t2-loss":
            self = .t2Loss(try T2LossLaw(parameters: file.parameters, source: source))
        case "t2-accuracy":
            self = .t2Accuracy(try T2AccuracyLaw(parameters: file.parameters, source: source))
        default:
            throw LawFileError.unknownForm(source: source, form: file.form)
        }
    }
}
