import Foundation
import Optimization
import ScalingLaws
import Tabular

/// `t2 fit --form t2-loss | t2-accuracy COUNTS.csv`: the fitting, held-out check, bootstrap and
/// rendering, called by `FitCommand`.
enum T2FormFit {
    /// Fits the T² law `form` to the counts file, prints a summary (or JSON), and writes the law
    /// JSON atomically to `outPath` when given.
    ///
    /// - Held-out split: fit on the models with N below the largest N, predict the mean pass@k of
    ///   the largest-N models at k = powers of 2 and 10 up to their smallest n.
    /// - Bootstrap: whole models resampled with replacement, each replicate warm-started from the
    ///   full fit; replicate r uses stream r of `seed`.
    static func run(
        form: String,
        countsPath: String,
        bootstrap: Int,
        seed: UInt64,
        format: OutputFormat,
        outPath: String?
    ) throws -> String {
        guard form == "t2-loss" || form == "t2-accuracy" else {
            throw CountsError.tooFewForFit(form: form, detail: "unknown T² form; expected t2-loss or t2-accuracy")
        }
        let table = try CSVTable(contentsOf: countsPath)
        guard table.columnIndex("params") != nil, table.columnIndex("tokens") != nil, table.columnIndex("model") != nil
        else {
            throw CountsError.missingParamsTokens(file: countsPath)
        }
        let groups = try CountsReader.read(table)
        let (fitGroups, heldGroups) = T2HeldOut.split(groups)
        let started = Date()
        var parameters: [String: Double]
        var objective: Double
        var points: Int
        var status: String
        var replicates: [[String: Double]] = []
        var notes: [String] = []
        let heldOut: T2HeldOut
        let unidentifiable = groups.filter(\.allZero).map(\.name)
        if !unidentifiable.isEmpty {
            notes.append(
                "models with no correct sample (pass@k unidentifiable, no finite −ln pass@k): \(unidentifiable.joined(separator: ", "))"
            )
        }
        if form == "t2-loss" {
            let fit = try T2LossFitter.fit(groups)
            parameters = fit.law.parameters
            objective = fit.objective
            points = fit.points.count
            status = fit.status.rawValue
            let partial = try T2LossFitter.fit(fitGroups)
            heldOut = try T2HeldOut.evaluate(heldOut: heldGroups) {
                partial.law.passAtK(params: $0, tokens: $1, samples: $2)
            }
            if bootstrap > 0 {
                replicates = T2LossFitter.bootstrap(fit, replicates: bootstrap, seed: seed).map(\.parameters)
            }
            notes.append(
                "aggregation: −ln of the mean pass@k over problems (unbiased estimator per problem) per model and k = powers of 2 and 10 up to the model's smallest n; Huber δ = 1e-3 on log residuals"
            )
        } else {
            let fit = try T2AccuracyFitter.fit(groups)
            parameters = fit.law.parameters
            objective = fit.objective
            points = fit.problems
            status = fit.status.rawValue
            let partial = try T2AccuracyFitter.fit(fitGroups)
            heldOut = try T2HeldOut.evaluate(heldOut: heldGroups) {
                partial.law.passAtK(params: $0, tokens: $1, samples: $2)
            }
            if bootstrap > 0 {
                replicates = T2AccuracyFitter.bootstrap(fit, groups: groups, replicates: bootstrap, seed: seed).map(
                    \.parameters
                )
            }
            notes.append(
                "beta-binomial maximum likelihood on all per-problem counts; gauge fixed by E = 0, theta2 = −1 (L̂ in logit units)"
            )
        }
        let seconds = Date().timeIntervalSince(started)
        notes.append(
            "held-out: \(heldOut.split); mean |Δ pass@k| = \(heldOut.meanAbsoluteError), max = \(heldOut.maxAbsoluteError) over \(heldOut.points) (model, k) points"
        )
        if bootstrap > 0 {
            notes.append(
                "bootstrap: \(replicates.count) of \(bootstrap) replicates (models resampled with replacement, warm-started), seed \(seed)"
            )
        }
        let law = LawFile(
            form: form,
            parameters: parameters,
            objective: objective,
            points: points,
            status: status,
            data: DataProvenance(path: countsPath, rows: table.count, sha256: nil),
            bootstrap: bootstrap > 0 ? replicates : nil,
            notes: notes
        )
        if let outPath { try law.write(to: outPath) }
        switch format {
        case .json:
            struct Output: Encodable {
                var law: LawFile
                var heldOut: T2HeldOut
                var seconds: Double
                enum CodingKeys: String, CodingKey {
                    case law
                    case heldOut = "held_out"
                    case seconds
                }
            }
            return try JSONOutput.encode(Output(law: law, heldOut: heldOut, seconds: seconds))
        case .csv, .table:
            var t = TextTable([("parameter", .left), ("value", .right), ("95% bootstrap", .right)])
            for key in parameters.keys.sorted() {
                var interval = ""
                let values = replicates.compactMap { $0[key] }.sorted()
                if values.count >= 2 {
                    interval =
                        "[\(Format.significant(values[Int(0.025 * Double(values.count - 1))], 4)), \(Format.significant(values[Int((0.975 * Double(values.count - 1)).rounded())], 4))]"
                }
                t.append([key, Format.significant(parameters[key]!, 5), interval])
            }
            var lines = [
                "\(form) law fitted to \(countsPath): \(points) points, objective \(Format.significant(objective, 6)), \(status)",
                t.render(),
            ]
            lines += notes
            lines.append("time: \(Format.fixed(seconds, 2)) s")
            return lines.joined(separator: "\n")
        }
    }
}
