import Foundation

/// The box of model sizes N, training tokens D and tokens per parameter D/N spanned by the runs a
/// law was fitted on. Inside it a law interpolates; outside it, it extrapolates, and the further
/// outside the less its predictions are worth. `t2 fit` writes it into every law file
/// (`fitted_range`), the built-in laws carry theirs, and `t2 plan` searches inside it widened by a
/// stated factor (``widened(by:)``) unless told to extrapolate.
///
/// JSON: `{"params": [low, high], "tokens": [low, high], "tokens_per_param": [low, high]}`.
public struct FittedRange: Sendable, Equatable, Codable {
    /// Smallest and largest N fitted.
    public var params: ClosedRange<Double>
    /// Smallest and largest D fitted.
    public var tokens: ClosedRange<Double>
    /// Smallest and largest D/N fitted (of the runs themselves, not the ratio of the bounds above).
    public var tokensPerParam: ClosedRange<Double>

    /// A range from its three bounds.
    public init(params: ClosedRange<Double>, tokens: ClosedRange<Double>, tokensPerParam: ClosedRange<Double>) {
        self.params = params
        self.tokens = tokens
        self.tokensPerParam = tokensPerParam
    }

    /// The range spanned by `points` (N, D); nil when there are none or a value is not a positive
    /// finite number.
    public init?(points: some Sequence<(params: Double, tokens: Double)>) {
        var n = (Double.infinity, -Double.infinity)
        var d = n
        var r = n
        var any = false
        for p in points {
            guard p.params > 0, p.tokens > 0, p.params.isFinite, p.tokens.isFinite else { return nil }
            any = true
            n = (min(n.0, p.params), max(n.1, p.params))
            d = (min(d.0, p.tokens), max(d.1, p.tokens))
            let ratio = p.tokens / p.params
            r = (min(r.0, ratio), max(r.1, ratio))
        }
        guard any else { return nil }
        self.init(params: n.0...n.1, tokens: d.0...d.1, tokensPerParam: r.0...r.1)
    }

    /// The range spanned by `runs`.
    public init?(runs: [Run]) {
        self.init(points: runs.map { (params: $0.params, tokens: $0.tokens) })
    }

    /// Each bound moved outwards by `factor` (≥ 1): [low/factor, high·factor] in N, D and D/N.
    public func widened(by factor: Double) -> FittedRange {
        let f = max(1, factor)
        return FittedRange(
            params: (params.lowerBound / f)...(params.upperBound * f),
            tokens: (tokens.lowerBound / f)...(tokens.upperBound * f),
            tokensPerParam: (tokensPerParam.lowerBound / f)...(tokensPerParam.upperBound * f)
        )
    }

    /// Whether (N, D) lies in the range (bounds included, with a relative slack of 1e-9 for
    /// plans that sit on an edge).
    public func contains(params n: Double, tokens d: Double) -> Bool {
        func inside(_ x: Double, _ r: ClosedRange<Double>) -> Bool {
            x >= r.lowerBound * (1 - 1e-9) && x <= r.upperBound * (1 + 1e-9)
        }
        return inside(n, params) && inside(d, tokens) && inside(d / n, tokensPerParam)
    }

    /// How far (N, D) lies outside the range: the largest factor by which N, D or D/N exceeds
    /// its bound (1 inside).
    public func excess(params n: Double, tokens d: Double) -> Double {
        func factor(_ x: Double, _ r: ClosedRange<Double>) -> Double {
            if x < r.lowerBound { return r.lowerBound / x }
            if x > r.upperBound { return x / r.upperBound }
            return 1
        }
        return max(factor(n, params), factor(d, tokens), factor(d / n, tokensPerParam))
    }

    enum CodingKeys: String, CodingKey {
        case params
        case tokens
        case tokensPerParam = "tokens_per_param"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([params.lowerBound, params.upperBound], forKey: .params)
        try c.encode([tokens.lowerBound, tokens.upperBound], forKey: .tokens)
        try c.encode([tokensPerParam.lowerBound, tokensPerParam.upperBound], forKey: .tokensPerParam)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func range(_ key: CodingKeys) throws -> ClosedRange<Double> {
            let v = try c.decode([Double].self, forKey: key)
            guard v.count == 2, v[0] > 0, v[0] <= v[1], v[1].isFinite else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: c,
                    debugDescription: "expected [low, high] with 0 < low ≤ high, got \(v)"
                )
            }
            return v[0]...v[1]
        }
        params = try range(.params)
        tokens = try range(.tokens)
        tokensPerParam = try range(.tokensPerParam)
    }
}

/// How well a law predicted data it was not fitted on: written by `t2 fit` into the law file
/// (`held_out`) when it held data out, and shown by `t2 plan` beside the law's name.
public struct HeldOutSummary: Sendable, Equatable, Codable {
    /// What `value` measures: `mean_abs_pass_at_k_error` (T² forms: mean |predicted − measured
    /// pass@k| over held-out (model, k) points) or `mean_abs_relative_loss_error` (chinchilla:
    /// mean |predicted − actual| / actual loss over held-out runs).
    public var metric: String
    /// The error.
    public var value: Double
    /// Which data were held out, in words.
    public var split: String

    /// A summary.
    public init(metric: String, value: Double, split: String) {
        self.metric = metric
        self.value = value
        self.split = split
    }

    /// "mean |Δ pass@k| 0.032 (…split…)" for reports.
    public var text: String {
        let v = String(format: "%.3g", value)
        switch metric {
        case "mean_abs_pass_at_k_error": return "mean |Δ pass@k| \(v) on held-out data (\(split))"
        case "mean_abs_relative_loss_error":
            return "mean |relative error| \(String(format: "%.2f", value * 100))% on held-out runs (\(split))"
        default: return "\(metric) \(v) (\(split))"
        }
    }
}
