import Foundation
import Plotting
import Tabular

/// One part of a report: a result file's heading, summary, charts (each with its numbers) and notes.
public struct ReportSection: Sendable {
    /// Unique on the page (anchor and chart-id prefix).
    public var id: String
    public var heading: String
    /// Where the result came from (a file name, a command line).
    public var source: String?
    /// Sentences above the charts: the answer in words.
    public var summary: [String]
    /// A two-column table of the key figures (nil: none).
    public var facts: DataTable?
    public var charts: [AnyChart]
    /// Lay the charts out as small multiples (several per row on wide screens).
    public var smallMultiples: Bool
    /// Sentences below the charts: caveats, what was skipped and why.
    public var notes: [String]

    public init(
        id: String,
        heading: String,
        source: String? = nil,
        summary: [String] = [],
        facts: DataTable? = nil,
        charts: [AnyChart] = [],
        smallMultiples: Bool = false,
        notes: [String] = []
    ) {
        self.id = id
        self.heading = heading
        self.source = source
        self.summary = summary
        self.facts = facts
        self.charts = charts
        self.smallMultiples = smallMultiples
        self.notes = notes
    }
}

/// A self-contained HTML page: inline CSS and SVG, no script, no external resource.
public struct HTMLPage: Sendable {
    public var title: String
    public var sections: [ReportSection]
    /// Trusted HTML placed before the sections (t2 serve's forms); nil for a report.
    public var prelude: String?
    /// Trusted HTML placed after the title (a navigation bar); nil for none.
    public var navigation: String?
    /// The line at the foot of the page.
    public var footer: String

    public init(
        title: String,
        sections: [ReportSection],
        prelude: String? = nil,
        navigation: String? = nil,
        footer: String
    ) {
        self.title = title
        self.sections = sections
        self.prelude = prelude
        self.navigation = navigation
        self.footer = footer
    }

    /// The page's stylesheet (one inline style element, allowed by its hash in the CSP).
    public static let css = """
        :root{color-scheme:light;--ink:#1a1a1a;--muted:#555;--rule:#d9d9d9;--accent:#0072B2;--bad:#b00020}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:1180px;padding:16px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
        h1{font-size:1.5rem;margin:.2em 0 .4em}h2{font-size:1.2rem;margin:1.6em 0 .3em;border-top:1px solid var(--rule);padding-top:.8em}
        p{margin:.35em 0}.source{color:var(--muted);font-size:.85rem;word-break:break-all}
        p,li,h1,h2,h3,figcaption,caption,label{overflow-wrap:anywhere}
        nav a{margin-right:1em}a{color:var(--accent)}
        figure{margin:1em 0 1.6em;break-inside:avoid;page-break-inside:avoid}
        figure svg{display:block;max-width:100%;height:auto;margin:0 auto}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,540px),1fr));gap:0 24px}
        .multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,340px),1fr));gap:0 20px}
        .multiples figure{margin:.6em 0}
        .table-wrap{overflow:auto;max-height:24em;border:1px solid var(--rule);border-radius:4px;margin-top:.4em}
        table{border-collapse:collapse;font-size:.82rem;font-variant-numeric:tabular-nums;width:100%}
        th,td{padding:3px 8px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}
        thead th{position:sticky;top:0;background:#f4f4f4}
        .facts-wrap{overflow:auto;max-width:100%;margin:.6em 0}table.facts{width:auto}
        pre{overflow:auto;max-height:30em;background:#f7f7f7;padding:.6em;font-size:.8rem}
        code{overflow-wrap:anywhere}
        caption{caption-side:bottom;text-align:left;color:var(--muted);padding:4px 8px}
        .notes{color:var(--muted);font-size:.9rem}.notes li{margin:.2em 0}
        .error{color:var(--bad);border:1px solid var(--bad);border-radius:4px;padding:.6em .8em;background:#fff5f6;white-space:pre-wrap}
        form{border:1px solid var(--rule);border-radius:6px;padding:.8em 1em;margin:1em 0;background:#fafafa}
        fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.6em 1.2em}
        label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
        input,select{font:inherit;padding:4px 6px;min-width:9em}
        button{font:inherit;padding:6px 14px;margin-top:.8em;background:var(--accent);color:#fff;border:0;border-radius:4px}
        .answer{font-size:1.05rem}.answer strong{color:var(--accent)}
        footer{margin-top:2em;color:var(--muted);font-size:.8rem;border-top:1px solid var(--rule);padding-top:.6em}
        @media (max-width:600px){body{padding:8px;font-size:14px}th,td{padding:2px 5px}input,select{min-width:7em}}
        @media print{body{max-width:none;padding:0;font-size:11pt}nav,form,button{display:none}
        .table-wrap{max-height:none;overflow:visible;border:0}h2{break-after:avoid}a{color:inherit}}
        """

    /// The Content-Security-Policy source for the stylesheet: its SHA-256, base64.
    public static let styleHash: String = {
        var hasher = SHA256()
        let bytes = Array(css.utf8)
        bytes.withUnsafeBytes { hasher.update($0) }
        return "'sha256-" + Data(hasher.finalize()).base64EncodedString() + "'"
    }()

    /// The policy of a standalone report: nothing may be fetched, nothing run, no form sent.
    public static let reportPolicy =
        "default-src 'none'; style-src \(styleHash); img-src data:; form-action 'none'; base-uri 'none'"

    /// The page's HTML. `policy` goes into a CSP meta element (nil: none, when the server sends it
    /// as a header).
    public func html(policy: String? = HTMLPage.reportPolicy) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        if let policy {
            out += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(Markup.escape(policy))\">\n"
        }
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"\(Markup.escape(footer))\">\n"
        out += "<title>\(Markup.escape(title))</title>\n<style>\(Self.css)</style>\n</head>\n<body>\n"
        out += "<header><h1>\(Markup.escape(title))</h1>"
        if let navigation { out += navigation }
        out += "</header>\n<main>\n"
        if let prelude { out += prelude + "\n" }
        if sections.count > 2 {
            out += "<nav class=\"contents\"><p>"
            out += sections.map { "<a href=\"#\(Markup.slug($0.id))\">\(Markup.escape($0.heading))</a>" }
                .joined(separator: " ")
            out += "</p></nav>\n"
        }
        for s in sections { out += Self.render(s) }
        out += "</main>\n<footer>\(Markup.escape(footer))</footer>\n</body>\n</html>\n"
        return out
    }

    static func render(_ s: ReportSection) -> String {
        var out = "<section id=\"\(Markup.slug(s.id))\">\n<h2>\(Markup.escape(s.heading))</h2>\n"
        if let source = s.source { out += "<p class=\"source\">\(Markup.escape(source))</p>\n" }
        for p in s.summary { out += "<p class=\"answer\">\(Markup.escape(p))</p>\n" }
        if let facts = s.facts {
            out += "<div class=\"facts-wrap\">" + table(facts, className: "facts", wrap: false) + "</div>\n"
        }
        if !s.charts.isEmpty {
            out += s.smallMultiples ? "<div class=\"multiples\">\n" : "<div class=\"charts\">\n"
            for c in s.charts { out += figure(c) }
            out += "</div>\n"
        }
        if !s.notes.isEmpty {
            out += "<ul class=\"notes\">\n"
            for n in s.notes { out += "<li>\(Markup.escape(n))</li>\n" }
            out += "</ul>\n"
        }
        return out + "</section>\n"
    }

    static func figure(_ c: AnyChart) -> String {
        var out = "<figure class=\"chart\" data-chart=\"\(Markup.slug(c.id))\">\n" + c.svg() + "\n"
        out += "<figcaption>" + table(c.dataTable, className: "numbers", wrap: true) + "</figcaption>\n"
        return out + "</figure>\n"
    }

    /// A table as HTML (header row from the columns).
    public static func table(_ t: DataTable, className: String, wrap: Bool) -> String {
        var out = wrap ? "<div class=\"table-wrap\">" : ""
        out += "<table class=\"\(className)\">"
        if let caption = t.caption { out += "<caption>\(Markup.escape(caption))</caption>" }
        if !t.columns.allSatisfy(\.isEmpty) {
            out +=
                "<thead><tr>" + t.columns.map { "<th scope=\"col\">\(Markup.escape($0))</th>" }.joined()
                + "</tr></thead>"
        }
        out += "<tbody>"
        for row in t.rows {
            out += "<tr>"
            for (i, cell) in row.enumerated() {
                out += i == 0 ? "<th scope=\"row\">\(Markup.escape(cell))</th>" : "<td>\(Markup.escape(cell))</td>"
            }
            out += "</tr>"
        }
        out += "</tbody></table>"
        return out + (wrap ? "</div>" : "") + "\n"
    }
}
