import Foundation
import Plotting
import Reports

/// The HTML around the charts: navigation, forms (plain GET/POST, no script), errors.
enum Pages {
    static func e(_ s: String) -> String { Markup.escape(s) }

    static func navigation(active: String) -> String {
        let links = [("/", "Planner"), ("/cost", "Cost"), ("/fit", "Fit your runs"), ("/api", "JSON API")]
        return "<nav>"
            + links.map { href, name in
                "<a href=\"\(href)\"\(href == active ? " aria-current=\"page\"" : "")>\(name)</a>"
            }.joined() + "</nav>"
    }

    static func value(_ query: [(key: String, value: String)], _ key: String) -> String {
        query.last { $0.key == key }?.value ?? ""
    }

    static func input(
        _ query: [(key: String, value: String)],
        _ name: String,
        _ label: String,
        placeholder: String = "",
        hint: String? = nil
    ) -> String {
        "<label>\(e(label))<input name=\"\(name)\" value=\"\(e(value(query, name)))\" placeholder=\"\(e(placeholder))\""
            + (hint.map { " title=\"\(e($0))\"" } ?? "") + " inputmode=\"decimal\" autocomplete=\"off\"></label>"
    }

    static func text(
        _ query: [(key: String, value: String)],
        _ name: String,
        _ label: String,
        placeholder: String = ""
    )
        -> String
    {
        "<label>\(e(label))<input name=\"\(name)\" value=\"\(e(value(query, name)))\" placeholder=\"\(e(placeholder))\" autocomplete=\"off\"></label>"
    }

    static func select(
        _ query: [(key: String, value: String)],
        _ name: String,
        _ label: String,
        _ options: [(value: String, label: String)]
    ) -> String {
        let current = value(query, name)
        var out = "<label>\(e(label))<select name=\"\(name)\">"
        var seen = false
        for o in options {
            let selected = o.value == current
            seen = seen || selected
            out += "<option value=\"\(e(o.value))\"\(selected ? " selected" : "")>\(e(o.label))</option>"
        }
        if !seen, !current.isEmpty {
            out += "<option value=\"\(e(current))\" selected>\(e(current))</option>"
        }
        return out + "</select></label>"
    }

    static func names(_ list: [String], blank: String, any: Bool = false) -> [(value: String, label: String)] {
        [("", blank)] + (any ? [("any", "any (t2 chooses)")] : []) + list.map { ($0, $0) }
    }

    // MARK: - Planner

    static func planForm(
        _ query: [(key: String, value: String)],
        laws: [(id: String, label: String)],
        catalog: CatalogNames
    ) -> String {
        var out = "<form method=\"get\" action=\"/\" class=\"planner\" id=\"plan-form\">"
        out +=
            "<p>Give one budget: FLOPs for training and per query token (separate), one lifetime budget in FLOPs, or dollars. Blank fields take t2 plan's defaults; every field is the flag of the same name.</p>"
        out += "<fieldset><legend hidden>Law</legend>"
        out += select(query, "law", "law", [("", "built-in T² law (GSM8K, Pythia)")] + laws.map { ($0.id, $0.label) })
        out += input(query, "target_accuracy", "target pass@k (0–1)", placeholder: "e.g. 0.3")
        out += "</fieldset><fieldset><legend hidden>Separate budgets</legend>"
        out += input(query, "train_flops", "training FLOPs", placeholder: "2.56e19")
        out += input(query, "inference_flops", "inference FLOPs per query token", placeholder: "2e9")
        out += "</fieldset><fieldset><legend hidden>Lifetime</legend>"
        out += input(query, "budget_flops", "lifetime FLOPs", placeholder: "e.g. 1e22")
        out += input(query, "budget_usd", "or lifetime dollars", placeholder: "e.g. 1e6")
        out += input(query, "queries", "queries served", placeholder: "e.g. 1e9")
        out += input(query, "tokens_per_sample", "tokens per sample", placeholder: "e.g. 256")
        out += input(query, "prompt_tokens", "prompt tokens (dollars)", placeholder: "0")
        out += "</fieldset><fieldset><legend hidden>Serving (dollars)</legend>"
        out += select(query, "hardware", "hardware (dollars)", names(catalog.hardware, blank: "", any: true))
        out += select(query, "quant", "quantization (dollars)", names(catalog.quants, blank: "", any: true))
        out += input(query, "max_samples", "most samples k", placeholder: "1e4")
        out += input(query, "max_train_tokens", "training data (tokens)", placeholder: "unlimited")
        out += "</fieldset><button type=\"submit\">Plan</button></form>"
        return out
    }

    // MARK: - Cost

    static func costForm(_ query: [(key: String, value: String)], catalog: CatalogNames) -> String {
        var out = "<form method=\"get\" action=\"/cost\" id=\"cost-form\">"
        out +=
            "<p>Price one deployment; the charts sweep the load from one request to the most that fit. Each field is the t2 cost flag of the same name.</p><fieldset>"
        out += select(query, "model", "model", names(catalog.models, blank: "(or give params)"))
        out += input(query, "params", "or parameters", placeholder: "e.g. 7e9")
        out += select(query, "quant", "quantization", names(catalog.quants, blank: ""))
        out += select(query, "hardware", "hardware", names(catalog.hardware, blank: ""))
        out += input(query, "gpus", "devices", placeholder: "1")
        out += select(query, "engine", "engine", names(catalog.engines, blank: "(default)"))
        out += "</fieldset><fieldset>"
        out += input(query, "concurrency", "load: concurrent requests", placeholder: "1 or max")
        out += input(query, "input_tokens", "prompt tokens", placeholder: "1024")
        out += input(query, "output_tokens", "generated tokens", placeholder: "256")
        out += input(query, "usd_per_hour", "$ per device-hour", placeholder: "catalog price")
        out += text(query, "compare", "compare with (key=value,…)", placeholder: "e.g. hardware=h200")
        out += "</fieldset><button type=\"submit\">Price</button></form>"
        return out
    }

    // MARK: - Fit

    static func fitForm(_ fields: [(key: String, value: String)], maxBytes: Int) -> String {
        var out =
            "<form method=\"post\" action=\"/fit\" enctype=\"multipart/form-data\" id=\"fit-form\">"
        out +=
            "<p>Upload your runs (CSV with params, tokens, loss) to fit a Chinchilla law, or per-problem sample counts (problem, samples, correct, model, params, tokens) to fit a T² law or analyse pass@k; then plan with the law. Up to \(NumberFormat.count.label(Double(maxBytes)))B.</p><fieldset>"
        out += "<label>CSV file<input type=\"file\" name=\"data\" accept=\".csv,text/csv\" required></label>"
        out += select(
            fields,
            "analysis",
            "analysis",
            [
                ("chinchilla", "t2 fit: Chinchilla law from runs"),
                ("t2-accuracy", "t2 fit --form t2-accuracy (counts)"), ("t2-loss", "t2 fit --form t2-loss (counts)"),
                ("passk", "t2 passk (counts)"),
            ]
        )
        out += input(fields, "bootstrap", "bootstrap replicates", placeholder: "fit: 0, passk: 200")
        out += input(fields, "drop_highest", "drop highest-loss runs", placeholder: "0")
        out += text(fields, "holdout", "hold out (e.g. params>1e9)", placeholder: "")
        out += text(fields, "forecast", "passk forecast k", placeholder: "e.g. 1000,10000")
        out += "</fieldset><button type=\"submit\">Fit</button></form>"
        return out
    }

    static func planWithLaw(id: String, name: String) -> String {
        "<p class=\"answer\" id=\"fitted-law\">Law fitted to \(e(name)): <a href=\"/?law=\(e(id))\">plan with it</a> (law id <code>\(e(id))</code>; also <code>/api/plan?law=\(e(id))</code>).</p>"
    }

    // MARK: - Shared

    static func commandLine(_ command: String, api: String?) -> String {
        var out = "<p class=\"source\">Same as <code id=\"command-line\">\(e(command))</code>"
        if let api { out += " · <a href=\"\(e(api))\" id=\"api-link\">JSON</a>" }
        return out + "</p>"
    }

    static func jsonBlock(id: String, _ json: String) -> String {
        "<details><summary>The JSON behind this page</summary><pre id=\"\(e(id))\">\(e(json))</pre></details>"
    }

    static func error(_ message: String, command: String?) -> String {
        "<div class=\"error\" role=\"alert\" id=\"error\">\(e(message))"
            + (command.map { "<br><span class=\"source\">\(e($0))</span>" } ?? "") + "</div>"
    }

    static func message(title: String, text: String, version: String) -> String {
        HTMLPage(
            title: "t2 — \(title.lowercased())",
            sections: [],
            prelude: "<p>\(e(text))</p>",
            navigation: navigation(active: ""),
            footer: version
        ).html(policy: nil)
    }

    static let apiIndex = """
        {
          "endpoints": {
            "GET /api/plan": "t2 plan --format json; query parameters are its flags in snake_case, e.g. /api/plan?train_flops=1e21&inference_flops=1e10",
            "GET /api/cost": "t2 cost --format json, e.g. /api/cost?model=llama-3.1-8b&quant=fp8&hardware=h100-sxm&concurrency=max",
            "POST /api/fit": "t2 fit RUNS.csv --format json; the CSV is the request body, flags are query parameters (form=t2-accuracy for counts)",
            "POST /api/passk": "t2 passk COUNTS.csv --format json; the CSV is the request body, flags are query parameters"
          },
          "errors": "status 400 with {\\"error\\": the command line's message, \\"exit_status\\": its exit status}",
          "laws": "law=<id> names a law fitted on the Fit page; files on the server are never named by a request"
        }

        """
}
