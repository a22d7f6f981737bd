import Foundation
import Optimization
import Tabular

/// What `t2 fit --format json` prints for one law (schema `t2.fit/1`, docs/json.md), and what
/// its table shows. The same type for every form: the fields a form does not have are absent.
///
/// Build one with ``FitReport/chinchilla(_:columns:holdout:keep:options:provenance:progress:)``
/// (runs → Chinchilla law, one report per `--group-by` group) or
/// ``FitReport/t2(_:table:bootstrap:seed:confidence:provenance:progress:)`` (sample counts → T² law);
/// ``lawFile`` is the law JSON `t2 plan --law` reads.
public struct FitReport: Sendable, Codable {
    /// `t2.fit/1`.
    public var schema = FitReport.schemaVersion
    /// The law form: `chinchilla`, `t2-loss` or `t2-accuracy`.
    public var form: String
    /// The `--group-by` value this law was fitted to (chinchilla with groups only).
    public var group: String?
    /// Fitted parameters by name (see docs/fit.md for each form's names).
    public var parameters: [String: Double]
    /// The objective at the optimum (Huber sum for chinchilla and t2-loss, negative
    /// log-likelihood for t2-accuracy).
    public var objective: Double
    /// Data points fitted (runs, (model, k) points, or problems × models).
    public var points: Int
    /// The optimizer's status for the best start.
    public var status: String
    /// Whether the best start converged.
    public var converged: Bool
    /// Where the data came from.
    public var data: DataProvenance
    /// N, D and D/N spanned by the data fitted.
    public var fittedRange: FittedRange?
    /// The law's error on held-out data (chinchilla with `--holdout`; the T² forms always hold
    /// out the largest models).
    public var heldOut: HeldOut?
    /// Percentile bootstrap intervals of the parameters.
    public var intervals: Intervals?
    /// Findings about the fit a user should know (weak identification, bounds, span of the data).
    public var diagnostics: [String]
    /// How the fit was made (aggregation, gauge, bootstrap, filters), in words.
    public var notes: [String]
    /// Bootstrap replicates of `parameters` (written to the law file, not to this document).
    public var replicates: [[String: Double]]
    /// Wall-clock seconds the fit took.
    public var seconds: Double?

    // Chinchilla only.
    /// α = β fitted as one exponent.
    public var sharedExponent: Bool?
    /// Huber δ on log-loss residuals.
    public var huberDelta: Double?
    /// The multi-start sweep.
    public var starts: Starts?
    /// Runs removed by `--drop-highest`.
    public var dropped: [RunRecord]?
    /// Runs left out by `--where`.
    public var excluded: Excluded?
    /// The compute-optimal allocation at each requested budget.
    public var allocations: [AllocationRecord]?

    /// The schema string of this document.
    public static let schemaVersion = "t2.fit/1"

    /// The multi-start sweep of a Chinchilla fit.
    public struct Starts: Sendable, Codable {
        /// Starts run.
        public var count: Int
        /// Starts that converged.
        public var converged: Int
        /// Starts within 0.01% of the best objective.
        public var atOptimum: Int
        /// Objective evaluations over all starts.
        public var evaluations: Int
        /// The vector kernel used (`avx2+fma` or `portable`).
        public var kernel: String
        /// Runs the starts were run on, when fewer than all (large files: the starts run on a
        /// subsample and the best endpoints are refined on all runs).
        public var subsample: Int?
        enum CodingKeys: String, CodingKey {
            case count
            case converged
            case atOptimum = "at_optimum"
            case evaluations
            case kernel
            case subsample
        }
    }

    /// One run, by its line in the file.
    public struct RunRecord: Sendable, Codable {
        public var line: Int
        public var params: Double
        public var tokens: Double
        public var loss: Double
    }

    /// Runs left out by `--where` (their lines).
    public struct Excluded: Sendable, Codable {
        public var filters: [String]
        public var runs: [Int]
    }

    /// The compute-optimal allocation at one budget, with bootstrap intervals when computed.
    public struct AllocationRecord: Sendable, Codable {
        public var flops: Double
        public var params: Double
        public var tokens: Double
        public var tokensPerParam: Double
        public var loss: Double
        public var paramsInterval: [Double]?
        public var tokensPerParamInterval: [Double]?
        enum CodingKeys: String, CodingKey {
            case flops
            case params
            case tokens
            case loss
            case tokensPerParam = "tokens_per_param"
            case paramsInterval = "params_interval"
            case tokensPerParamInterval = "tokens_per_param_interval"
        }
    }

    /// Percentile bootstrap intervals of the parameters.
    public struct Intervals: Sendable, Codable {
        /// Coverage of each interval (e.g. 0.95).
        public var confidence: Double
        /// Replicates the intervals come from.
        public var replicates: Int
        /// `[low, high]` per parameter name.
        public var parameters: [String: [Double]]
    }

    /// The law's error on data it was not fitted on.
    public struct HeldOut: Sendable, Codable {
        /// `mean_abs_relative_loss_error` (chinchilla) or `mean_abs_pass_at_k_error` (T² forms).
        public var metric: String
        /// The mean error.
        public var value: Double
        /// The largest error.
        public var max: Double
        /// Which data were held out, in words.
        public var split: String
        /// The `--holdout` filter (chinchilla).
        public var filter: String?
        /// Held-out points scored.
        public var points: Int
        /// The held-out models (T² forms).
        public var models: [String]?
        /// Each held-out run with its prediction (chinchilla).
        public var runs: [Prediction]?

        /// A held-out run and the law's prediction for it.
        public struct Prediction: Sendable, Codable {
            public var line: Int
            public var params: Double
            public var tokens: Double
            public var loss: Double
            public var predicted: Double
            public var relativeError: Double
            enum CodingKeys: String, CodingKey {
                case line
                case params
                case tokens
                case loss
                case predicted
                case relativeError = "relative_error"
            }
        }

        /// The one-line summary a law file carries.
        public var summary: HeldOutSummary { HeldOutSummary(metric: metric, value: value, split: split) }
    }

    enum CodingKeys: String, CodingKey {
        case schema
        case form
        case group
        case parameters
        case objective
        case points
        case status
        case converged
        case data
        case fittedRange = "fitted_range"
        case heldOut = "held_out"
        case intervals
        case diagnostics
        case notes
        case seconds
        case sharedExponent = "shared_exponent"
        case huberDelta = "huber_delta"
        case starts
        case dropped
        case excluded
        case allocations
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        form = try c.decode(String.self, forKey: .form)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        parameters = try c.decode([String: Double].self, forKey: .parameters)
        objective = try c.decode(Double.self, forKey: .objective)
        points = try c.decode(Int.self, forKey: .points)
        status = try c.decode(String.self, forKey: .status)
        converged = try c.decode(Bool.self, forKey: .converged)
        data = try c.decode(DataProvenance.self, forKey: .data)
        fittedRange = try c.decodeIfPresent(FittedRange.self, forKey: .fittedRange)
        heldOut = try c.decodeIfPresent(HeldOut.self, forKey: .heldOut)
        intervals = try c.decodeIfPresent(Intervals.self, forKey: .intervals)
        diagnostics = try c.decode([String].self, forKey: .diagnostics)
        notes = try c.decode([String].self, forKey: .notes)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        sharedExponent = try c.decodeIfPresent(Bool.self, forKey: .sharedExponent)
        huberDelta = try c.decodeIfPresent(Double.self, forKey: .huberDelta)
        starts = try c.decodeIfPresent(Starts.self, forKey: .starts)
        dropped = try c.decodeIfPresent([RunRecord].self, forKey: .dropped)
        excluded = try c.decodeIfPresent(Excluded.self, forKey: .excluded)
        allocations = try c.decodeIfPresent([AllocationRecord].self, forKey: .allocations)
        replicates = []
    }

    /// A report with the fields every form has.
    public init(
        form: String,
        parameters: [String: Double],
        objective: Double,
        points: Int,
        status: String,
        converged: Bool,
        data: DataProvenance
    ) {
        self.form = form
        self.parameters = parameters
        self.objective = objective
        self.points = points
        self.status = status
        self.converged = converged
        self.data = data
        diagnostics = []
        notes = []
        replicates = []
    }

    /// The law JSON for `t2 plan --law`.
    public var lawFile: LawFile {
        LawFile(
            form: form,
            parameters: parameters,
            objective: objective,
            points: points,
            status: status,
            data: data,
            fittedRange: fittedRange,
            heldOut: heldOut?.summary,
            bootstrap: replicates.isEmpty ? nil : replicates,
            notes: notes
        )
    }

    /// Percentile intervals of each named parameter over `replicates`.
    static func intervals(_ replicates: [[String: Double]], confidence: Double) -> Intervals? {
        guard replicates.count >= 2, let keys = replicates.first?.keys else { return nil }
        var parameters: [String: [Double]] = [:]
        for key in keys {
            if let r = Bootstrap.percentileInterval(replicates.compactMap { $0[key] }, confidence: confidence) {
                parameters[key] = [r.lowerBound, r.upperBound]
            }
        }
        return Intervals(confidence: confidence, replicates: replicates.count, parameters: parameters)
    }
}

/// Several `--group-by` reports in one document (`t2.fit/1`).
public struct FitReportGroups: Sendable, Codable {
    /// `t2.fit/1`.
    public var schema = FitReport.schemaVersion
    /// One report per group, in the order the groups first appear in the file.
    public var groups: [FitReport]

    /// The document for `groups`.
    public init(groups: [FitReport]) { self.groups = groups }
}
