import Foundation
import Optimization
import RealModule

/// The crossed problem × group beta-binomial (`crossed-beta-binomial`; "LG-bb" in the research
/// notes behind docs/test-time-scaling.md).
///
/// Schaeffer et al. (2025, "How do large language monkeys get their power (laws)?") show that the
/// power law of pass@k at large k comes from the left tail of the per-problem success
/// distribution: if the density of p behaves like p^(α−1) near 0, then 1 − pass@k ∝ k^−α. The
/// per-group beta-binomial estimates that tail from one model's counts; with 100 samples per
/// problem and pass@1 ≈ 1e-3 nearly every count is 0 and the tail is unidentified. But the models
/// of one file answer the same problems, and a problem that is hard for one model is hard for the
/// others. The crossed model lets problem i carry one difficulty u_i shared by all groups:
///
///     e^{u_i} ~ Gamma(α, 1)                         (density of u ∝ exp(α·u − e^u); left tail p^(α−1))
///     p_ij | u_i ~ Beta(a, β_ij),   β_ij = b_j·e^{−u_i}   (mean ≈ a·e^{u_i}/b_j when β_ij ≫ a)
///     c_ij | p_ij ~ Binomial(n_ij, p_ij)
///
/// with a within-cell shape a and a problem shape α shared by all groups and a level b_j per group
/// (1 + J + 1 parameters; the shared-shape family is the special case without u). Only the cells
/// a group has count: a problem missing from group j contributes nothing for j, and every cell may
/// have its own n_ij.
///
/// Likelihood: u is integrated on a fixed grid z_g = −40, −39.6, …, 8 (121 nodes; the trapezoid
/// rule converges geometrically for this smooth, fast-decaying integrand) with normalised weights
/// ln w_g = α·z_g − e^{z_g} − LSE_h(α·z_h − e^{z_h}):
///
///     ℓ = Σ_i ω_i · LSE_g [ ln w_g + Σ_j ln BB(c_ij | n_ij, a, b_j e^{−z_g}) ],
///     ln BB(c | n, a, β) = ln C(n, c) + D(a, c) + D(β, n − c) − D(a + β, n),
///
/// D(x, k) = ln Γ(x + k) − ln Γ(x) (`Optimization.Special.logPochhammer`, stable for β up to e^100; the
/// grid takes β to e^50 and plain log-gamma differences return inf − inf there), ω_i a problem's
/// weight (0 holds it out, bootstrap multiplicities). With P_ig the posterior of node g given
/// problem i's counts (the softmax of the bracket) and C_jcg = Σ_i ω_i P_ig over the problems where
/// group j has pattern c, the analytic gradient in the unconstrained θ = (ln a, ln b_j, ln α) is
///
///     ∂ℓ/∂ln b_j = Σ C · β [ψ(n − c + β) − ψ(β) − (ψ(n + a + β) − ψ(a + β))]
///     ∂ℓ/∂ln a   = Σ C · a [ψ(c + a) − ψ(a) − (ψ(n + a + β) − ψ(a + β))]
///     ∂ℓ/∂ln α   = Σ_i ω_i Σ_g P_ig (α z_g − Σ_h w_h α z_h)
///
/// Forecast of group j (the posterior predictive mean over its problems, each problem's effect
/// informed by every group's counts on it):
///
///     pass@k_j = mean_i Σ_g P_ig · [1 − exp(D(B, k) − D(A + B, k))],  A = a + c_ij, B = b_j e^{−z_g} + n_ij − c_ij.
///
/// Caveat: held-out likelihood cannot tell a Gamma problem effect from, e.g., a normal one on
/// Pythia GSM8K (differences of a few nats against a fold-to-fold spread of tens); the Gamma is
/// chosen for its power-law tail, so at large k the forecast's tail shape is an assumption.
public enum CrossedBetaBinomial {
    /// Quadrature nodes z_g over the problem effect u.
    public static let nodes: [Double] = (0..<nodeCount).map { lowestNode + nodeSpacing * Double($0) }
    /// How many nodes.
    public static let nodeCount = 121
    /// z_0 and the spacing of the nodes (z_{120} = 8).
    public static let lowestNode = -40.0
    /// The spacing of the nodes.
    public static let nodeSpacing = 0.4
    /// e^{−z_g}: β_jg = b_j·e^{−z_g}.
    static let expNegNodes: [Double] = nodes.map { Double.exp(-$0) }

    /// Normalised log weights ln w_g(α) of the log-Gamma problem effect on the grid, and
    /// ∂ ln w_g/∂ ln α = α z_g − Σ_h w_h α z_h.
    public static func logWeights(problemShape alpha: Double) -> (logWeights: [Double], derivative: [Double]) {
        let raw = nodes.map { alpha * $0 - Double.exp($0) }
        let total = Special.logSumExp(raw)
        let lw = raw.map { $0 - total }
        var mean = 0.0
        for g in 0..<nodeCount { mean += Double.exp(lw[g]) * alpha * nodes[g] }
        return (lw, nodes.map { alpha * $0 - mean })
    }

    /// Whether the family applies: two or more groups, and some problem id counted in two of them.
    public static func applies(to groups: [[ProblemCount]]) -> Bool {
        guard groups.count >= 2 else { return false }
        var seen: [String: Int] = [:]
        for (g, problems) in groups.enumerated() {
            for p in problems {
                if let first = seen[p.problem], first != g { return true }
                seen[p.problem] = g
            }
        }
        return false
    }

    /// What the report says whenever this family's forecasts are shown.
    public static let tailShapeNote = """
        crossed-beta-binomial: problem difficulty e^u ~ Gamma(α) is shared by all groups (p ~ Beta(a, b·e^−u)); \
        forecasts are each group's posterior predictive mean over its problems. The Gamma's power-law tail \
        (density of p ∝ p^(α−1) near 0) sets pass@k at large k, and held-out likelihood cannot separate it \
        from other tails (e.g. a normal problem effect) on counts like Pythia GSM8K's: for k far beyond \
        the samples drawn, the tail shape is an assumption, not a finding
        """
}

/// Problem ids of several groups aligned: `ids` in order of first appearance, `index[g][r]` the
/// aligned position of group g's r-th problem.
struct ProblemAlignment: Sendable {
    let ids: [String]
    let index: [[Int]]

    init(_ groups: [[ProblemCount]]) {
        var position: [String: Int] = [:]
        var ids: [String] = []
        index = groups.map { problems in
            problems.map { p in
                if let i = position[p.problem] { return i }
                position[p.problem] = ids.count
                ids.append(p.problem)
                return ids.count - 1
            }
        }
        self.ids = ids
    }
}

/// The crossed family's data: every cell (group, problem) reduced to a pattern — a distinct
/// (group, n, c) — so that the likelihood is tabulated once per pattern and node, not per cell.
struct CrossedLayout: Sendable {
    let groupCount: Int
    let problemCount: Int
    /// Per pattern: group, n, c, ln C(n, c), and its (group, n) size class.
    let patternGroup: [Int]
    let patternSamples: [Double]
    let patternCorrect: [Double]
    let patternLogBinomial: [Double]
    let patternSize: [Int]
    /// Per size class (distinct (group, n)): group and n.
    let sizeGroup: [Int]
    let sizeSamples: [Double]
    /// `cells[g][r]`: (aligned problem, pattern) of group g's r-th problem.
    let cells: [[(problem: Int, pattern: Int)]]
    /// Problem i's patterns are `problemPatterns[problemStart[i] ..< problemStart[i + 1]]`.
    let problemStart: [Int]
    let problemPatterns: [Int]

    init(groups: [[ProblemCount]], alignment: ProblemAlignment) {
        groupCount = groups.count
        problemCount = alignment.ids.count
        struct Key: Hashable { let group: Int, samples: Int, correct: Int }
        struct SizeKey: Hashable { let group: Int, samples: Int }
        var patternOf: [Key: Int] = [:]
        var sizeOf: [SizeKey: Int] = [:]
        var pg: [Int] = []
        var pn: [Double] = []
        var pc: [Double] = []
        var pl: [Double] = []
        var ps: [Int] = []
        var sg: [Int] = []
        var sn: [Double] = []
        var byProblem = [[Int]](repeating: [], count: alignment.ids.count)
        cells = groups.enumerated().map { g, problems in
            problems.enumerated().map { r, p in
                let key = Key(group: g, samples: p.samples, correct: p.correct)
                let pattern: Int
                if let known = patternOf[key] {
                    pattern = known
                } else {
                    let sizeKey = SizeKey(group: g, samples: p.samples)
                    let size: Int
                    if let s = sizeOf[sizeKey] {
                        size = s
                    } else {
                        size = sg.count
                        sizeOf[sizeKey] = size
                        sg.append(g)
                        sn.append(Double(p.samples))
                    }
                    pattern = pg.count
                    patternOf[key] = pattern
                    pg.append(g)
                    pn.append(Double(p.samples))
                    pc.append(Double(p.correct))
                    ps.append(size)
                    pl.append(BetaBinomial.logBinomial(samples: Double(p.samples), correct: Double(p.correct)))
                }
                byProblem[alignment.index[g][r]].append(pattern)
                return (alignment.index[g][r], pattern)
            }
        }
        patternGroup = pg
        patternSamples = pn
        patternCorrect = pc
        patternLogBinomial = pl
        patternSize = ps
        sizeGroup = sg
        sizeSamples = sn
        var start = [0]
        for list in byProblem { start.append(start.last! + list.count) }
        problemStart = start
        problemPatterns = byProblem.flatMap { $0 }
    }

    var patternCount: Int { patternGroup.count }
}

/// The nodes `lo ..< hi` where a posterior (or a union of posteriors) is not negligible.
struct NodeSpan: Sendable {
    var lo: Int
    var hi: Int
    static let empty = NodeSpan(lo: Int.max, hi: Int.min)
    var isEmpty: Bool { lo >= hi }
    var nodes: Range<Int> { isEmpty ? 0..<0 : lo..<hi }
    mutating func cover(_ g: Int) {
        lo = min(lo, g)
        hi = max(hi, g + 1)
    }
    mutating func cover(_ other: NodeSpan) {
        lo = min(lo, other.lo)
        hi = max(hi, other.hi)
    }
}

/// How the crossed objective treats the within-cell shape a.
enum CrossedShape: Sendable, Equatable {
    /// One a for every group: θ = (ln a, ln b_0 … ln b_{J−1}, ln α).
    case shared
    /// One a_j per group: θ = (ln a_0 … ln a_{J−1}, ln b_0 … ln b_{J−1}, ln α, μ, β). With a spread τ
    /// the objective adds the prior's −Σ_j ln N(ln a_j; μ + β·x_j, τ²) − ln N(β; 0, s²) (up to its
    /// constants), x_j the group's standardised strength (``CrossedShapePooling/strength(_:)``) and s
    /// the slope's prior scale; without a slope (nil) x_j = 0 and β is inert. With spread nil it is
    /// the plain likelihood (μ and β inert), which is what held-out scoring evaluates.
    case perGroup(spread: Double?, slope: Double? = nil)
}

/// The crossed family's negative log-likelihood over θ (``CrossedShape``), with the analytic
/// gradient of ``CrossedBetaBinomial``. Weights are per cell as for the other families but the
/// crossed likelihood weights whole problems: a problem takes the weight of its first cell (folds
/// and bootstrap replicates give all cells of one problem the same weight).
struct CrossedObjective: SuccessLikelihood {
    let layout: CrossedLayout
    /// ω_i per aligned problem.
    let problemWeight: [Double]
    /// Patterns that occur in a problem of positive weight (the others are never tabulated).
    let patternActive: [Bool]
    /// Shared or per-group shape a.
    let shape: CrossedShape

    var family: SuccessFamily { shape == .shared ? .crossed : .crossedPooledShape }
    var groups: Int { layout.groupCount }
    /// Index of ln a_j, ln b_j and ln α in θ.
    func indexOfLogA(_ j: Int) -> Int { shape == .shared ? 0 : j }
    func indexOfLogB(_ j: Int) -> Int { shape == .shared ? 1 + j : groups + j }
    var indexOfLogAlpha: Int { shape == .shared ? 1 + groups : 2 * groups }
    /// Index of μ (per-group shapes only).
    var indexOfMu: Int { 2 * groups + 1 }
    /// Index of β, the slope of the shape prior's mean on the strength covariate (per-group shapes
    /// only).
    var indexOfSlope: Int { 2 * groups + 2 }
    /// The dimension of θ.
    var dimension: Int { shape == .shared ? groups + 2 : 2 * groups + 3 }
    /// The shape prior's covariate x_j per group: the standardised strength with a slope, else 0.
    let shapeCovariate: [Double]

    init(groups: [[ProblemCount]], weights: [[Double]]? = nil, shape: CrossedShape = .shared) {
        self.shape = shape
        if case .perGroup(_, _?) = shape {
            let standard = CrossedShapePooling.Standardisation(groups)
            shapeCovariate = groups.map { standard.covariate($0) }
        } else {
            shapeCovariate = [Double](repeating: 0, count: groups.count)
        }
        let alignment = ProblemAlignment(groups)
        layout = CrossedLayout(groups: groups, alignment: alignment)
        var omega = [Double](repeating: -1, count: alignment.ids.count)
        for (g, problems) in groups.enumerated() {
            for r in problems.indices where omega[alignment.index[g][r]] < 0 {
                omega[alignment.index[g][r]] = weights?[g][r] ?? 1
            }
        }
        problemWeight = omega
        var active = [Bool](repeating: false, count: layout.patternCount)
        for i in 0..<layout.problemCount where omega[i] > 0 {
            for q in layout.problemStart[i]..<layout.problemStart[i + 1] { active[layout.problemPatterns[q]] = true }
        }
        patternActive = active
    }

    /// Unpacked parameters: a_j per group (all equal for a shared shape).
    struct Parameters {
        let a: [Double]
        let logA: [Double]
        let logB: [Double]
        let b: [Double]
        let alpha: Double
        init(_ x: UnsafeBufferPointer<Double>, groups: Int, shape: CrossedShape = .shared) {
            let perGroup = shape != .shared
            logA = (0..<groups).map { perGroup ? x[$0] : x[0] }
            a = logA.map { Double.exp($0) }
            logB = (0..<groups).map { x[(perGroup ? groups : 1) + $0] }
            b = logB.map { Double.exp($0) }
            alpha = Double.exp(x[perGroup ? 2 * groups : 1 + groups])
        }
    }

    func parameters(_ x: UnsafeBufferPointer<Double>) -> Parameters { Parameters(x, groups: groups, shape: shape) }

    /// Whether θ is inside the range where every term is finite (|ln a| < 20, |ln b| < 60, |ln α| < 8).
    func inDomain(_ x: UnsafeBufferPointer<Double>) -> Bool {
        guard x.count == dimension, x.allSatisfy(\.isFinite), abs(x[indexOfLogAlpha]) < 8 else { return false }
        for j in 0..<groups where !(abs(x[indexOfLogB(j)]) < 60 && abs(x[indexOfLogA(j)]) < 20) { return false }
        return true
    }

    /// T[p·G + g] = ln BB(c_p | n_p, a, b_j e^{−z_g}) for the active patterns (ln β = ln b_j − z_g
    /// is known on the grid, which saves ``Special/logPochhammer(_:_:logX:)`` its logarithm).
    func likelihoodTable(_ theta: Parameters) -> [Double] {
        let G = CrossedBetaBinomial.nodeCount
        let s = layout
        let nodes = CrossedBetaBinomial.nodes
        let expNeg = CrossedBetaBinomial.expNegNodes
        // D(a + β, n) per size class and node.
        var totals = [Double](repeating: 0, count: s.sizeGroup.count * G)
        for z in 0..<s.sizeGroup.count {
            let bj = theta.b[s.sizeGroup[z]]
            let logB = theta.logB[s.sizeGroup[z]]
            let a = theta.a[s.sizeGroup[z]]
            let n = s.sizeSamples[z]
            for g in 0..<G {
                let beta = bj * expNeg[g]
                totals[z * G + g] = Special.logPochhammer(
                    a + beta,
                    n,
                    logX: logB - nodes[g] + Double.log(onePlus: a / beta)
                )
            }
        }
        var table = [Double](repeating: 0, count: s.patternCount * G)
        table.withUnsafeMutableBufferPointer { table in
            for p in 0..<s.patternCount where patternActive[p] {
                let j = s.patternGroup[p]
                let bj = theta.b[j]
                let logB = theta.logB[j]
                let n = s.patternSamples[p]
                let c = s.patternCorrect[p]
                let base = s.patternLogBinomial[p] + Special.logPochhammer(theta.a[j], c)
                let z = s.patternSize[p]
                for g in 0..<G {
                    table[p * G + g] =
                        base + Special.logPochhammer(bj * expNeg[g], n - c, logX: logB - nodes[g]) - totals[z * G + g]
                }
            }
        }
        return table
    }

    /// Posterior node weights below this are set to 0: they change no sum by more than 1e-20 of
    /// its size, and the gradient pass skips them (a problem's posterior spans a few nodes of 121).
    static let negligiblePosterior = 1e-20

    /// Posterior node weights below this are left out of the Hessian's sums (their share of any
    /// entry is below 1e-12 of its size).
    static let negligibleForHessian = 1e-12

    /// Per problem of positive weight, the bracket ln w_g + Σ_{p ∈ i} T[p, g] over nodes (row i;
    /// rows of held-out problems stay 0).
    func brackets(table: [Double], logWeights: [Double]) -> [Double] {
        let G = CrossedBetaBinomial.nodeCount
        var out = [Double](repeating: 0, count: layout.problemCount * G)
        table.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { out in
                for i in 0..<layout.problemCount where problemWeight[i] > 0 {
                    let bracket = out.baseAddress! + i * G
                    for g in 0..<G { bracket[g] = logWeights[g] }
                    for q in layout.problemStart[i]..<layout.problemStart[i + 1] {
                        let row = t.baseAddress! + layout.problemPatterns[q] * G
                        for g in 0..<G { bracket[g] += row[g] }
                    }
                }
            }
        }
        return out
    }

    /// Per problem of positive weight: ℓ_i = LSE_g(ln w_g + Σ_{p ∈ i} T[p, g]), the posterior P_ig
    /// over nodes (row i of `posterior`; rows of held-out problems stay 0) and the nodes where it
    /// is not negligible.
    func posteriors(
        table: [Double],
        logWeights: [Double]
    ) -> (logLikelihood: [Double], posterior: [Double], support: [NodeSpan]) {
        let G = CrossedBetaBinomial.nodeCount
        var ll = [Double](repeating: 0, count: layout.problemCount)
        var post = brackets(table: table, logWeights: logWeights)
        var support = [NodeSpan](repeating: .empty, count: layout.problemCount)
        post.withUnsafeMutableBufferPointer { post in
            for i in 0..<layout.problemCount where problemWeight[i] > 0 {
                let row = post.baseAddress! + i * G
                var m = -Double.infinity
                for g in 0..<G where row[g] > m { m = row[g] }
                var total = 0.0
                for g in 0..<G {
                    let e = Double.exp(row[g] - m)
                    row[g] = e
                    total += e
                }
                ll[i] = m + Double.log(total)
                for g in 0..<G {
                    let q = row[g] / total
                    if q < Self.negligiblePosterior {
                        row[g] = 0
                    } else {
                        row[g] = q
                        support[i].cover(g)
                    }
                }
            }
        }
        return (ll, post, support)
    }

    /// What the value, the gradient and the Hessian at one θ share: the parameters, the problem
    /// shape's node weights and their derivative, and each problem's log-likelihood and node
    /// posterior (one likelihood table). A damped Newton step computes it once per trial point and
    /// reuses it for the gradient and the next Hessian.
    struct PointState {
        let theta: Parameters
        let logWeights: [Double]
        let dLogWeights: [Double]
        let logLikelihood: [Double]
        let posterior: [Double]
        let support: [NodeSpan]
    }

    /// The ``PointState`` at `x`; nil outside the domain (``inDomain(_:)``).
    func pointState(at x: UnsafeBufferPointer<Double>) -> PointState? {
        guard inDomain(x) else { return nil }
        let theta = parameters(x)
        let (lw, dlw) = CrossedBetaBinomial.logWeights(problemShape: theta.alpha)
        let (ll, post, support) = posteriors(table: likelihoodTable(theta), logWeights: lw)
        return PointState(
            theta: theta,
            logWeights: lw,
            dLogWeights: dlw,
            logLikelihood: ll,
            posterior: post,
            support: support
        )
    }

    func valueAndGradient(at x: UnsafeBufferPointer<Double>, gradient gr: UnsafeMutableBufferPointer<Double>) -> Double
    {
        guard let state = pointState(at: x) else {
            for i in 0..<gr.count { gr[i] = 0 }
            return .infinity
        }
        return valueAndGradient(state, at: x, gradient: gr)
    }

    /// The value and gradient at `x` from its ``PointState``.
    func valueAndGradient(
        _ state: PointState,
        at x: UnsafeBufferPointer<Double>,
        gradient gr: UnsafeMutableBufferPointer<Double>
    ) -> Double {
        for i in 0..<gr.count { gr[i] = 0 }
        let G = CrossedBetaBinomial.nodeCount
        let theta = state.theta
        let dlw = state.dLogWeights
        let (ll, post, support) = (state.logLikelihood, state.posterior, state.support)
        // C[p, g] = Σ_{i ∋ p} ω_i P_ig over the nodes where some problem with pattern p has posterior
        // mass (`patternSupport`, likewise per size class), and the problem-shape term.
        var weightSum = [Double](repeating: 0, count: layout.patternCount * G)
        var patternSupport = [NodeSpan](repeating: .empty, count: layout.patternCount)
        var sizeSupport = [NodeSpan](repeating: .empty, count: layout.sizeGroup.count)
        var value = 0.0
        var dShape = 0.0
        weightSum.withUnsafeMutableBufferPointer { sums in
            post.withUnsafeBufferPointer { post in
                for i in 0..<layout.problemCount where problemWeight[i] > 0 {
                    let w = problemWeight[i]
                    let nodes = support[i]
                    let row = post.baseAddress! + i * G
                    value -= w * ll[i]
                    for g in nodes.nodes { dShape += w * row[g] * dlw[g] }
                    for q in layout.problemStart[i]..<layout.problemStart[i + 1] {
                        let p = layout.problemPatterns[q]
                        let out = sums.baseAddress! + p * G
                        for g in nodes.nodes { out[g] += w * row[g] }
                        patternSupport[p].cover(nodes)
                        sizeSupport[layout.patternSize[p]].cover(nodes)
                    }
                }
            }
        }
        // ψ(n + a + β) − ψ(a + β) per size class and node.
        var totals = [Double](repeating: 0, count: layout.sizeGroup.count * G)
        for z in 0..<layout.sizeGroup.count where !sizeSupport[z].isEmpty {
            let bj = theta.b[layout.sizeGroup[z]]
            let n = layout.sizeSamples[z]
            let a = theta.a[layout.sizeGroup[z]]
            for g in sizeSupport[z].nodes {
                totals[z * G + g] = Special.digammaDifference(a + bj * CrossedBetaBinomial.expNegNodes[g], n)
            }
        }
        var dA = [Double](repeating: 0, count: groups)
        for p in 0..<layout.patternCount where !patternSupport[p].isEmpty {
            let j = layout.patternGroup[p]
            let bj = theta.b[j]
            let n = layout.patternSamples[p]
            let c = layout.patternCorrect[p]
            let psiA = Special.digammaDifference(theta.a[j], c)
            let z = layout.patternSize[p]
            var dB = 0.0
            for g in patternSupport[p].nodes {
                let cw = weightSum[p * G + g]
                if cw == 0 { continue }
                let beta = bj * CrossedBetaBinomial.expNegNodes[g]
                let total = totals[z * G + g]
                dB += cw * beta * (Special.digammaDifference(beta, n - c) - total)
                dA[j] += cw * (psiA - total)
            }
            gr[indexOfLogB(j)] -= dB
        }
        for j in 0..<groups { gr[indexOfLogA(j)] -= theta.a[j] * dA[j] }
        gr[indexOfLogAlpha] = -dShape
        if case .perGroup(let spread?, let slopeScale) = shape {
            // The prior −Σ_j ln N(ln a_j; μ + β·x_j, τ²) − ln N(β; 0, s²) without its constants (s = 1
            // for the inert β of a prior without slope, which keeps it at 0).
            let mu = x[indexOfMu]
            let slope = x[indexOfSlope]
            let precision = 1 / (spread * spread)
            let slopePrecision = 1 / ((slopeScale ?? 1) * (slopeScale ?? 1))
            var dMu = 0.0
            var dSlope = slopePrecision * slope
            value += 0.5 * slopePrecision * slope * slope
            for j in 0..<groups {
                let r = theta.logA[j] - mu - slope * shapeCovariate[j]
                value += 0.5 * precision * r * r
                gr[indexOfLogA(j)] += precision * r
                dMu -= precision * r
                dSlope -= precision * r * shapeCovariate[j]
            }
            gr[indexOfMu] = dMu
            gr[indexOfSlope] = dSlope
        }
        return value
    }

    func distributions(_ x: [Double]) -> [SuccessDistribution] { family.distributions(x, groups: groups) }

    func forecasts(_ x: [Double], ks: [Double]) -> [[Double]] { forecastsWithVariance(x, ks: ks).mean }

    /// Each group's posterior predictive pass@k over its problems (as weighted), `mean[group][k]`,
    /// and the posterior variance of that average that comes from the problems themselves given
    /// θ: with f_ij = 1 − (1 − p_ij)^k, problems independent given θ and the counts,
    ///
    ///     Var(mean_i f_ij) = Σ_i ω_i² Var(f_ij) / (Σ_i ω_i)²,   Var(f) = E[(1 − p)^{2k}] − E[(1 − p)^k]²,
    ///
    /// both expectations under the cell's node-mixture posterior (Beta moments
    /// E[(1 − p)^m] = exp(D(B, m) − D(A + B, m))). At k ≫ n a problem's f is nearly 0 or 1 and
    /// this term is the largest part of a forecast's uncertainty (±0.07 for 128 problems at
    /// pass@k ≈ 0.5): intervals that carry only the parameters' uncertainty miss it.
    func forecastsWithVariance(_ x: [Double], ks: [Double]) -> (mean: [[Double]], variance: [[Double]]) {
        let G = CrossedBetaBinomial.nodeCount
        return x.withUnsafeBufferPointer { xb -> ([[Double]], [[Double]]) in
            let theta = parameters(xb)
            let table = likelihoodTable(theta)
            let (_, post, support) = posteriors(
                table: table,
                logWeights: CrossedBetaBinomial.logWeights(problemShape: theta.alpha).logWeights
            )
            var patternSupport = [NodeSpan](repeating: .empty, count: layout.patternCount)
            for j in 0..<groups {
                for cell in layout.cells[j] where problemWeight[cell.problem] > 0 {
                    patternSupport[cell.pattern].cover(support[cell.problem])
                }
            }
            var mean = [[Double]](repeating: [Double](repeating: 0, count: ks.count), count: groups)
            var variance = mean
            var fail = [Double](repeating: 0, count: layout.patternCount * G)
            var fail2 = fail
            for (ki, k) in ks.enumerated() {
                // E[(1 − p)^k] and E[(1 − p)^{2k}] under the cell's posterior Beta(a + c, b_j e^{−z_g} + n − c),
                // at the nodes where a problem with this pattern has posterior mass.
                for p in 0..<layout.patternCount {
                    let b = theta.b[layout.patternGroup[p]]
                    let a = theta.a[layout.patternGroup[p]]
                    let n = layout.patternSamples[p]
                    let c = layout.patternCorrect[p]
                    for g in patternSupport[p].nodes {
                        let shapeB = b * CrossedBetaBinomial.expNegNodes[g] + n - c
                        fail[p * G + g] = BetaBinomial.failureAtK(a: a + c, b: shapeB, k: k)
                        fail2[p * G + g] = BetaBinomial.failureAtK(a: a + c, b: shapeB, k: 2 * k)
                    }
                }
                for j in 0..<groups {
                    var sum = 0.0
                    var weight = 0.0
                    var spread = 0.0
                    for cell in layout.cells[j] where problemWeight[cell.problem] > 0 {
                        var m1 = 0.0
                        var m2 = 0.0
                        for g in support[cell.problem].nodes {
                            let w = post[cell.problem * G + g]
                            m1 += w * fail[cell.pattern * G + g]
                            m2 += w * fail2[cell.pattern * G + g]
                        }
                        let omega = problemWeight[cell.problem]
                        sum += omega * (1 - m1)
                        weight += omega
                        spread += omega * omega * max(m2 - m1 * m1, 0)
                    }
                    mean[j][ki] = weight > 0 ? sum / weight : .nan
                    variance[j][ki] = weight > 0 ? spread / (weight * weight) : .nan
                }
            }
            return (mean, variance)
        }
    }
}

extension CrossedObjective {
    /// The Hessian of the objective (negative log-likelihood, plus the shape prior when it has
    /// one) at x, or nil outside the domain.
    ///
    /// By Louis' identity for a likelihood that is a mixture over nodes: with B_ig = ln w_g +
    /// Σ_j T(p_ij, g) problem i's bracket, P_ig its posterior and v_ig = ∂B_ig/∂θ,
    ///
    ///     ∂²ℓ_i/∂θ∂θᵀ = Σ_g P_ig ∂²B_ig/∂θ∂θᵀ + Σ_g P_ig (v_ig − m_i)(v_ig − m_i)ᵀ,   m_i = Σ_g P_ig v_ig.
    ///
    /// v_ig has entries ∂T/∂ln a_j, ∂T/∂ln b_j (the gradient's digamma differences) and
    /// ∂ ln w_g/∂ln α; ∂²B_ig is block-diagonal per group (analytic, by trigamma differences, in
    /// ln a_j and ln b_j) plus ∂² ln w_g/∂(ln α)² = αz_g − E_w[αz] −
    /// Var_w(αz). One likelihood table (none with ``hessian(_:)`` from a ``PointState``) and one
    /// pass over the problems' posterior support: exact where finite differences of the gradient
    /// would cost two objective evaluations per coordinate.
    func hessian(at x: [Double]) -> [[Double]]? {
        x.withUnsafeBufferPointer { pointState(at: $0) }.map(hessian)
    }

    /// The Hessian at the point of `state` (``hessian(at:)``).
    func hessian(_ state: PointState) -> [[Double]] {
        let D = dimension
        let G = CrossedBetaBinomial.nodeCount
        let theta = state.theta
        let (lw, dlw) = (state.logWeights, state.dLogWeights)
        var meanAZ = 0.0
        for g in 0..<G { meanAZ += Double.exp(lw[g]) * theta.alpha * CrossedBetaBinomial.nodes[g] }
        var varAZ = 0.0
        for g in 0..<G {
            let d = theta.alpha * CrossedBetaBinomial.nodes[g] - meanAZ
            varAZ += Double.exp(lw[g]) * d * d
        }
        let d2lw = dlw.map { $0 - varAZ }
        let (post, support) = (state.posterior, state.support)
        var patternSupport = [NodeSpan](repeating: .empty, count: layout.patternCount)
        for i in 0..<layout.problemCount where problemWeight[i] > 0 {
            for q in layout.problemStart[i]..<layout.problemStart[i + 1] {
                patternSupport[layout.problemPatterns[q]].cover(support[i])
            }
        }
        // Per pattern and support node: first derivatives of T in (ln a_j, ln b_j) and the three
        // second derivatives.
        let P = layout.patternCount
        var dA = [Double](repeating: 0, count: P * G)
        var dB = dA
        var dAA = dA
        var dAB = dA
        var dBB = dA
        // T is ln BB(c | n, a, β) with β = b_j e^{−z_g}, and ∂/∂ln b_j = ∂/∂ln β
        // (``BetaBinomial/logScaleDerivatives(samples:correct:a:b:aTerms:)``; its a-only terms once
        // per pattern).
        for p in 0..<P where !patternSupport[p].isEmpty {
            let j = layout.patternGroup[p]
            let a = theta.a[j]
            let n = layout.patternSamples[p]
            let c = layout.patternCorrect[p]
            let aTerms = (Special.digammaDifference(a, c), Special.trigammaDifference(a, c))
            for g in patternSupport[p].nodes {
                let beta = theta.b[j] * CrossedBetaBinomial.expNegNodes[g]
                let d = BetaBinomial.logScaleDerivatives(samples: n, correct: c, a: a, b: beta, aTerms: aTerms)
                dA[p * G + g] = d.a
                dB[p * G + g] = d.b
                dAA[p * G + g] = d.aa
                dAB[p * G + g] = d.ab
                dBB[p * G + g] = d.bb
            }
        }
        // The upper triangle of the Hessian of −ℓ: −Σ_i ω_i [Cov_i(v) + E_i(∂²T)] over each problem's
        // node posterior, v_g the node's first derivatives. The covariances are −UᵀU, row t of U a
        // (problem, node) pair's √(ω_i P_ig)(v_g − m_i) in θ's coordinates; rows are gathered in
        // blocks and each block is applied one Hessian row at a time, so that the row stays in
        // cache while the block's rows pass over it.
        var hess = [Double](repeating: 0, count: D * D)
        let blockRows = 64
        var u = [Double](repeating: 0, count: blockRows * D)
        var rows = 0
        func flush() {
            hess.withUnsafeMutableBufferPointer { hess in
                u.withUnsafeMutableBufferPointer { u in
                    for r in 0..<D {
                        let row = hess.baseAddress! + r * D
                        for t in 0..<rows {
                            let ut = u.baseAddress! + t * D
                            let ur = ut[r]
                            if ur == 0 { continue }
                            for c in r..<D { row[c] -= ur * ut[c] }
                        }
                    }
                    for k in 0..<(rows * D) { u[k] = 0 }
                }
            }
            rows = 0
        }
        func addUpper(_ a: Int, _ b: Int, _ value: Double) { hess[min(a, b) * D + max(a, b)] += value }
        let alphaIndex = indexOfLogAlpha
        for i in 0..<layout.problemCount where problemWeight[i] > 0 {
            let w = problemWeight[i]
            let cells = layout.problemStart[i]..<layout.problemStart[i + 1]
            // The problem's coordinates: ln a_j and ln b_j of each cell, then ln α (with one shared
            // shape ln a repeats, and its terms add up).
            var local: [Int] = []
            for q in cells {
                let j = layout.patternGroup[layout.problemPatterns[q]]
                local.append(indexOfLogA(j))
                local.append(indexOfLogB(j))
            }
            local.append(alphaIndex)
            let L = local.count
            let sAlpha = L - 1
            var mean = [Double](repeating: 0, count: L)
            var v = [Double](repeating: 0, count: L)
            let nodes = support[i].nodes
            func fill(_ g: Int) {
                for (r, q) in cells.enumerated() {
                    let p = layout.problemPatterns[q]
                    v[2 * r] = dA[p * G + g]
                    v[2 * r + 1] = dB[p * G + g]
                }
                v[sAlpha] = dlw[g]
            }
            for g in nodes {
                let pg = post[i * G + g]
                if pg == 0 { continue }
                fill(g)
                for k in 0..<L { mean[k] += pg * v[k] }
            }
            for g in nodes {
                let pg = post[i * G + g]
                if pg < Self.negligibleForHessian { continue }
                fill(g)
                let root = (w * pg).squareRoot()
                for k in 0..<L { u[rows * D + local[k]] += root * (v[k] - mean[k]) }
                rows += 1
                if rows == blockRows { flush() }
                for (r, q) in cells.enumerated() {
                    let p = layout.problemPatterns[q]
                    let (a, b) = (local[2 * r], local[2 * r + 1])
                    addUpper(a, a, -w * pg * dAA[p * G + g])
                    addUpper(a, b, -w * pg * dAB[p * G + g])
                    addUpper(b, b, -w * pg * dBB[p * G + g])
                }
                addUpper(alphaIndex, alphaIndex, -w * pg * d2lw[g])
            }
        }
        flush()
        for r in 0..<D {
            for c in (r + 1)..<D { hess[c * D + r] = hess[r * D + c] }
        }
        if case .perGroup(let spread?, let slopeScale) = shape {
            let precision = 1 / (spread * spread)
            let (m, s) = (indexOfMu, indexOfSlope)
            for j in 0..<groups {
                let a = indexOfLogA(j)
                let x = shapeCovariate[j]
                hess[a * D + a] += precision
                hess[a * D + m] -= precision
                hess[m * D + a] -= precision
                hess[a * D + s] -= precision * x
                hess[s * D + a] -= precision * x
                hess[m * D + s] += precision * x
                hess[s * D + m] += precision * x
                hess[s * D + s] += precision * x * x
            }
            hess[m * D + m] += Double(groups) * precision
            hess[s * D + s] += 1 / ((slopeScale ?? 1) * (slopeScale ?? 1))
        }
        return (0..<D).map { r in Array(hess[(r * D)..<((r + 1) * D)]) }
    }
}
