import Foundation
import Plotting
import ScalingLaws

/// `t2 passk` results: read tolerantly, one small chart per group.
///
/// Read: `groups[]: {group, problems, pass_at_k {k: value}, distribution {family, a, b,
/// zero_mass, problem_shape}, forecast {k: {estimate, low, high, power_law, beyond_counts}}, power_law {a, b},
/// note, prior_driven, curve?}`, `family`, `selection[]: {family, held_out_log_likelihood,
/// standard_error, parameters}`, `bootstrap`, `notes`. A `curve` (array of {k, estimate}) is drawn
/// as the fitted curve when present; otherwise the curve is computed from `distribution` for the
/// per-group families (whose forecast is the distribution's own pass@k).
enum PasskCharts {
    struct Forecast {
        var k: Double
        var estimate: Double
        var low: Double?
        var high: Double?
        var powerLaw: Double?
        /// The share of the group's problems for which k is past the counts' horizon.
        var beyondCounts: Double?
        /// Drawn and listed apart: the forecast rests on the family's tail, not on the counts.
        var pastHorizon: Bool { (beyondCounts ?? 0) >= PasskAnalysis.beyondCountsMark }
    }

    struct Group {
        var name: String
        var problems: Int?
        var estimates: [(k: Double, value: Double)]
        var forecasts: [Forecast]
        var distribution: SuccessDistribution?
        var curve: [(k: Double, value: Double)]
        var powerLaw: PowerLawBaseline?
        var note: String?
        var priorDriven: Bool

        init(_ d: JSONDocument) {
            name = d["group"]?.string ?? d["model"]?.string ?? "all"
            problems = d["problems"]?.int
            estimates = Self.pairs(d["pass_at_k"])
            forecasts = []
            // One forecast's fields, whichever layout holds them.
            func forecast(k: Double, estimate: Double, _ value: JSONDocument) -> Forecast {
                let interval = value["interval"]?.interval
                return Forecast(
                    k: k,
                    estimate: estimate,
                    low: value["low"]?.double ?? interval?.0,
                    high: value["high"]?.double ?? interval?.1,
                    powerLaw: value["power_law"]?.double,
                    beyondCounts: value["beyond_counts"]?.double
                )
            }
            if let members = d["forecast"]?.members {
                for (key, value) in members {
                    guard let k = Double(key), let e = value["estimate"]?.double ?? value.double else { continue }
                    forecasts.append(forecast(k: k, estimate: e, value))
                }
            } else if let list = d["forecast"]?.array {
                for value in list {
                    guard let k = value["k"]?.double, let e = value["estimate"]?.double else { continue }
                    forecasts.append(forecast(k: k, estimate: e, value))
                }
            }
            forecasts.sort { $0.k < $1.k }
            if let dist = d["distribution"], let a = dist["a"]?.double, let b = dist["b"]?.double,
                let family = dist["family"]?.string.flatMap(SuccessFamily.init(rawValue:))
            {
                distribution = SuccessDistribution(
                    family: family,
                    a: a,
                    b: b,
                    zeroMass: dist["zero_mass"]?.double ?? 0,
                    problemShape: dist["problem_shape"]?.double
                )
            }
            curve = Self.pairs(d["curve"])
            if let p = d["power_law"], let a = p["a"]?.double, let b = p["b"]?.double {
                powerLaw = PowerLawBaseline(a: a, b: b)
            }
            note = d["note"]?.string
            priorDriven = d["prior_driven"]?.bool ?? false
        }

        /// `{"1": 0.1, "2": 0.2}` or `[{"k": 1, "estimate": 0.1}]`, sorted by k.
        static func pairs(_ d: JSONDocument?) -> [(k: Double, value: Double)] {
            var out: [(k: Double, value: Double)] = []
            if let members = d?.members {
                for (key, v) in members {
                    if let k = Double(key), let x = v.double ?? v["estimate"]?.double { out.append((k, x)) }
                }
            } else if let list = d?.array {
                for v in list {
                    if let k = v["k"]?.double,
                        let x = v["estimate"]?.double ?? v["pass_at_k"]?.double ?? v["value"]?.double
                    {
                        out.append((k, x))
                    }
                }
            }
            return out.sorted { $0.k < $1.k }
        }

        /// The fitted curve drawn: the document's own, else the distribution's pass@k (per-group
        /// families only: the crossed family's forecasts are posterior means over the group's own
        /// problems, which its new-problem curve is not).
        func fitted(upTo kMax: Double) -> [DataPoint] {
            if !curve.isEmpty { return curve.map { DataPoint($0.k, $0.value) } }
            guard let distribution, distribution.problemShape == nil, distribution.family != .crossed else { return [] }
            return (0...40).map { i in
                let k = Foundation.pow(10, Double(i) / 40 * Foundation.log10(kMax))
                return DataPoint(k, distribution.passAtK(k))
            }
        }
    }

    static func section(_ input: ReportInput, id: String) throws -> ReportSection {
        let doc = input.document
        guard let list = doc["groups"]?.array else {
            throw ReportError.missingField(file: input.source, kind: "t2 passk", field: "groups")
        }
        let groups = list.map(Group.init)
        let family = doc["family"]?.string
        // The intervals' coverage (documents before `confidence` was added carried 95% intervals).
        let percent = Int(((doc["confidence"]?.double ?? 0.95) * 100).rounded())
        var notes = doc["notes"]?.array?.compactMap(\.string) ?? []
        var charts: [AnyChart] = []
        var crossedWithoutCurve = false
        for (i, g) in groups.enumerated() {
            let kMax = Swift.max(g.estimates.last?.k ?? 1, g.forecasts.last?.k ?? 1, 10)
            var series: [Series] = [
                Series(
                    "unbiased estimate",
                    .points(.circle),
                    g.estimates.map { DataPoint($0.k, $0.value) },
                    color: Palette.blue
                )
            ]
            let fitted = g.fitted(upTo: kMax)
            if fitted.isEmpty, g.distribution != nil { crossedWithoutCurve = true }
            series.append(
                Series("fitted \(g.distribution?.family.rawValue ?? family ?? "")", .line(.solid), fitted, color: 2)
            )
            if !g.forecasts.isEmpty {
                let hasIntervals = g.forecasts.contains { $0.low != nil && $0.high != nil }
                let label =
                    g.priorDriven
                    ? "forecast (prior-driven)" : "forecast" + (hasIntervals ? " (\(percent)% interval)" : "")
                // Forecasts past the counts' horizon in a colour and marker of their own.
                let within = g.forecasts.filter { !$0.pastHorizon }
                let past = g.forecasts.filter(\.pastHorizon)
                if !within.isEmpty {
                    series.append(
                        Series(
                            label,
                            .errorBars(.diamond),
                            within.map { DataPoint($0.k, $0.estimate, low: $0.low, high: $0.high) },
                            color: Palette.vermillion
                        )
                    )
                }
                if !past.isEmpty {
                    series.append(
                        Series(
                            label + ", past the counts' horizon *",
                            .errorBars(.triangle),
                            past.map { DataPoint($0.k, $0.estimate, low: $0.low, high: $0.high) },
                            color: Palette.pastHorizon
                        )
                    )
                }
            }
            if let p = g.powerLaw {
                series.append(
                    Series(
                        "power-law baseline",
                        .line(.dashed),
                        (0...40).map { j in
                            let k = Foundation.pow(10, Double(j) / 40 * Foundation.log10(kMax))
                            return DataPoint(k, p.passAtK(k))
                        },
                        color: Palette.black
                    )
                )
            }
            var rows: [[String]] = g.estimates.map { e in
                [NumberFormat.count.label(e.k), Text.percent(e.value, 2), "", "", ""]
            }
            for f in g.forecasts {
                rows.append([
                    NumberFormat.count.label(f.k), "", Text.percent(f.estimate, 2) + (f.pastHorizon ? " *" : ""),
                    f.low != nil ? "[\(Text.percent(f.low, 1)), \(Text.percent(f.high, 1))]" : "",
                    Text.percent(f.powerLaw, 2),
                ])
            }
            charts.append(
                .xy(
                    Chart(
                        id: "\(id)-group-\(i + 1)",
                        title: g.name,
                        subtitle: [
                            g.problems.map { "\($0) problems" }, g.distribution.map { $0.family.rawValue },
                            g.note == nil ? nil : (g.priorDriven ? "prior-driven" : "no correct sample"),
                        ].compactMap { $0 }.joined(separator: " · "),
                        x: Axis("samples k", scale: .log, format: .count),
                        y: Axis("pass@k", format: .percent, min: 0),
                        series: series,
                        table: DataTable(
                            columns: ["k", "unbiased pass@k", "forecast", "interval", "power law"],
                            rows: rows
                        ),
                        width: 440,
                        height: 320
                    )
                )
            )
        }
        if crossedWithoutCurve {
            notes.append(
                "The crossed family's forecasts are posterior means over each group's own problems; its curve for a new problem is a different quantity, so only the forecast points are drawn."
            )
        }
        var summary = [
            "\(groups.count) groups; family: \(family ?? "–")"
                + (doc["bootstrap"]?.int.map { ", \($0) bootstrap replicates" } ?? "") + "."
        ]
        if let withForecast = groups.first(where: { !$0.forecasts.isEmpty }), let last = withForecast.forecasts.last {
            let kind = doc["intervals"]?.string.flatMap { $0 == "none" ? nil : $0 + " " } ?? ""
            summary.append(
                "Forecasts to k = \(NumberFormat.count.label(last.k)) with \(percent)% \(kind)intervals where computed; the dashed line is the power-law baseline −ln pass@k = a·k^−b."
                    + (groups.contains { $0.forecasts.contains(where: \.pastHorizon) }
                        ? " Forecasts marked * are past the counts' horizon, about n(1 + ln n) for n samples per problem: they rest on the family's tail (see the notes)."
                        : "")
            )
        }
        var facts: DataTable? = nil
        if let selection = doc["selection"]?.array, !selection.isEmpty {
            facts = DataTable(
                columns: ["family", "held-out log-likelihood", "standard error of the gap", "parameters"],
                rows: selection.map { s in
                    [
                        (s["family"]?.string ?? "?") + (s["family"]?.string == family ? " (chosen)" : ""),
                        Text.fixed(s["held_out_log_likelihood"]?.double, 2), Text.fixed(s["standard_error"]?.double, 2),
                        s["parameters"]?.int.map(String.init) ?? "–",
                    ]
                },
                caption:
                    "Family selection by 10-fold held-out likelihood: the fewest parameters within one standard error of the best."
            )
        }
        for g in groups where g.note != nil { notes.append("\(g.name): \(g.note!)") }
        return ReportSection(
            id: id,
            heading: "pass@k — \(groups.count) group\(groups.count == 1 ? "" : "s")",
            source: input.source,
            summary: summary,
            facts: facts,
            charts: charts,
            smallMultiples: groups.count > 1,
            notes: notes
        )
    }
}
