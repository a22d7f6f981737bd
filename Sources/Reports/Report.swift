import Foundation
import Plotting

/// Which t2 result a JSON document is.
public enum DocumentKind: String, Sendable, Equatable, CaseIterable {
    /// `t2 fit` (Chinchilla form): one law, or `{"groups": [...]}` with one per group.
    case fit
    /// `t2 fit --form t2-loss|t2-accuracy`: `{law, held_out, seconds}`.
    case fitT2 = "fit-t2"
    /// A law file (`t2 fit --out`): `{form, parameters, …}`.
    case law
    /// `t2 passk`.
    case passk
    /// `t2 plan` (one plan beside Chinchilla's).
    case plan
    /// `t2 plan --sweep`.
    case planSweep = "plan-sweep"
    /// `t2 cost` (one deployment).
    case cost
    /// `t2 cost --compare`.
    case costComparison = "cost-comparison"
    /// `t2 cost --validate`.
    case costValidation = "cost-validation"
    /// `t2 calibrate`.
    case calibration
    /// `t2 bench`.
    case bench
    /// `t2 sample`.
    case sample

    /// Recognises a document: by its `schema` string (`t2.<kind>/<major>`) when it has one, else
    /// by its shape (the documents written before schemas were added). Nil: not a t2 result.
    public static func detect(_ doc: JSONDocument) -> DocumentKind? {
        if let schema = doc["schema"]?.string, let kind = fromSchema(schema, doc) { return kind }
        return fromShape(doc)
    }

    static func fromSchema(_ schema: String, _ doc: JSONDocument) -> DocumentKind? {
        guard schema.hasPrefix("t2.") else { return nil }
        let name = schema.dropFirst(3).split(separator: "/").first.map(String.init) ?? ""
        switch name {
        case "fit":
            return doc.has("held_out") && doc["law"] != nil && !doc.has("allocations") ? .fitT2 : .fit
        case "fit-t2", "fit_t2", "t2-fit": return .fitT2
        case "law": return .law
        case "passk": return .passk
        case "plan": return doc["sweep"]?.array != nil ? .planSweep : .plan
        case "plan-sweep", "plan_sweep": return .planSweep
        case "cost":
            if doc["compared"] != nil { return .costComparison }
            if doc["rows"] != nil && doc["median_abs_pct_error"] != nil { return .costValidation }
            return .cost
        case "cost-compare", "cost-comparison", "cost_comparison": return .costComparison
        case "cost-validate", "cost-validation", "cost_validation", "validation": return .costValidation
        case "calibration": return .calibration
        case "bench": return .bench
        case "sample": return .sample
        default: return fromShape(doc)
        }
    }

    static func fromShape(_ doc: JSONDocument) -> DocumentKind? {
        guard doc.members != nil else { return nil }
        if doc.has("allocations") && doc.has("parameters") { return .fit }
        if let first = doc["groups"]?[0] {
            if first.has("allocations") { return .fit }
            if first.has("pass_at_k") { return .passk }
        }
        if doc.has("law") && doc.has("held_out") { return .fitT2 }
        if doc["sweep"]?.array != nil && doc.has("law") { return .planSweep }
        if doc.has("plan") && doc.has("chinchilla") && doc.has("budget") { return .plan }
        if (doc.has("baseline") || doc.has("base")) && doc["compared"]?.array != nil { return .costComparison }
        if doc["rows"]?.array != nil && doc.has("median_abs_pct_error") { return .costValidation }
        if doc.has("levels") && doc.has("url") { return .bench }
        if doc.has("fits") && doc.has("hardware")
            && (doc.has("itl_ms") || doc.has("decode_tokens_per_s") || doc.has("decode_tokens_per_second"))
        {
            return .cost
        }
        if doc.has("form") && doc["parameters"]?.members != nil { return .law }
        if doc.has("efficiencies") || doc.has("calibrated") { return .calibration }
        if doc.has("samples_done") || doc.has("counts_path") { return .sample }
        return nil
    }
}

/// One result to report: where it came from and its parsed JSON.
public struct ReportInput: Sendable {
    /// The file name (or label) shown in the report and in errors.
    public var source: String
    public var document: JSONDocument

    public init(source: String, document: JSONDocument) {
        self.source = source
        self.document = document
    }

    /// Reads and parses `data` from `source`.
    public init(source: String, data: Data) throws {
        self.source = source
        self.document = try JSONDocument.parse(data, source: source)
    }
}

/// Turns t2 results into report sections (charts, tables, notes). Each command's reading lives in
/// one file (`FitCharts.swift`, `PasskCharts.swift`, …), so a changed JSON document is adapted there.
public enum ReportBuilder {
    /// Sections for `inputs`, in order; bench results are merged into one section (their load
    /// levels compared), the others get one section each. Throws for a document that is not a t2
    /// result.
    public static func sections(_ inputs: [ReportInput]) throws -> [ReportSection] {
        guard !inputs.isEmpty else { throw ReportError.noInput }
        var sections: [ReportSection] = []
        var benches: [ReportInput] = []
        var usedIDs = Set<String>()
        func unique(_ base: String) -> String {
            var id = Markup.slug(base)
            var n = 2
            while usedIDs.contains(id) {
                id = Markup.slug(base) + "-\(n)"
                n += 1
            }
            usedIDs.insert(id)
            return id
        }
        for input in inputs {
            guard let kind = DocumentKind.detect(input.document) else {
                throw ReportError.unknownDocument(
                    file: input.source,
                    keys: input.document.members?.map(\.key) ?? []
                )
            }
            let id = unique(
                kind.rawValue + "-" + URL(fileURLWithPath: input.source).deletingPathExtension().lastPathComponent
            )
            switch kind {
            case .fit: sections += try FitCharts.sections(input, id: id)
            case .fitT2: sections.append(try FitCharts.t2Section(input, id: id))
            case .law: sections.append(try FitCharts.lawSection(input, id: id))
            case .passk: sections.append(try PasskCharts.section(input, id: id))
            case .plan: sections.append(try PlanCharts.section(input, id: id))
            case .planSweep: sections.append(try PlanCharts.sweepSection(input, id: id))
            case .cost: sections.append(try CostCharts.estimateSection(input, id: id))
            case .costComparison: sections.append(try CostCharts.comparisonSection(input, id: id))
            case .costValidation: sections.append(try CostCharts.validationSection(input, id: id))
            case .calibration: sections.append(GenericSection.section(input, id: id, heading: "Calibration"))
            case .bench: benches.append(input)
            case .sample: sections.append(GenericSection.section(input, id: id, heading: "Repeated sampling"))
            }
        }
        if !benches.isEmpty { sections.append(try BenchCharts.section(benches, id: unique("bench"))) }
        return sections
    }

    /// The whole report page for `inputs`.
    public static func page(_ inputs: [ReportInput], title: String? = nil, generator: String) throws -> HTMLPage {
        let sections = try sections(inputs)
        let names = inputs.map { URL(fileURLWithPath: $0.source).lastPathComponent }
        return HTMLPage(
            title: title ?? "t2 report — " + names.joined(separator: ", "),
            sections: sections,
            footer:
                "Made by \(generator) from \(names.joined(separator: ", ")). Self-contained: no script, no network request."
        )
    }
}

/// A section for a result t2 report has no charts for yet: its scalar fields as a table.
enum GenericSection {
    static func section(_ input: ReportInput, id: String, heading: String) -> ReportSection {
        var rows: [[String]] = []
        for (key, value) in input.document.members ?? [] {
            switch value {
            case .number(let n): rows.append([key, NumberFormat.number.label(n)])
            case .string(let s): rows.append([key, s])
            case .bool(let b): rows.append([key, b ? "yes" : "no"])
            case .object(let o):
                let scalars = o.keys.sorted().compactMap { k -> String? in
                    guard let n = o[k]?.double else { return nil }
                    return "\(k) \(NumberFormat.number.label(n))"
                }
                if !scalars.isEmpty { rows.append([key, scalars.joined(separator: ", ")]) }
            default: continue
            }
        }
        return ReportSection(
            id: id,
            heading: heading,
            source: input.source,
            facts: DataTable(columns: ["field", "value"], rows: rows),
            notes: ["No chart for this result yet: its fields are listed above."]
        )
    }
}

/// Text helpers shared by the builders.
enum Text {
    /// 3 significant digits with a suffix: 27.0M, 158B.
    static func count(_ v: Double?) -> String {
        guard let v else { return "–" }
        return NumberFormat.count.label(v)
    }

    static func sci(_ v: Double?) -> String {
        guard let v else { return "–" }
        return NumberFormat.scientific.label(v)
    }

    static func percent(_ v: Double?, _ places: Int = 1) -> String {
        guard let v, v.isFinite else { return "–" }
        return NumberFormat.fixed(v * 100, places) + "%"
    }

    static func fixed(_ v: Double?, _ places: Int) -> String {
        guard let v, v.isFinite else { return "–" }
        return NumberFormat.fixed(v, places)
    }

    static func number(_ v: Double?) -> String {
        guard let v else { return "–" }
        return NumberFormat.number.label(v)
    }

    static func usd(_ v: Double?) -> String {
        guard let v else { return "–" }
        return NumberFormat.usd.label(v)
    }
}
