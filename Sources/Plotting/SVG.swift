import Foundation

/// Text escaping and small builders for SVG and HTML.
public enum Markup {
    /// `text` with &, <, >, " and ' escaped, for element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0; drop them (tabs and newlines stay).
                if c.value < 0x20 && c != "\n" && c != "\t" && c != "\r" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `text` reduced to letters, digits and '-', for element ids and file names.
    public static func slug(_ text: String) -> String {
        var out = ""
        var lastDash = true
        for c in text.lowercased().unicodeScalars {
            if c.isASCII && (CharacterSet.alphanumerics.contains(c)) {
                out.unicodeScalars.append(c)
                lastDash = false
            } else if !lastDash {
                out += "-"
                lastDash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "chart" : out
    }
}

/// Accumulates SVG text.
struct SVGBuilder {
    var text = ""

    init() { text.reserveCapacity(8192) }

    static func n(_ v: Double) -> String { NumberText.coordinate(v) }

    mutating func raw(_ s: String) { text += s }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ attributes: String) {
        text +=
            "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" \(attributes)/>"
    }

    mutating func label(
        _ x: Double,
        _ y: Double,
        _ content: String,
        anchor: String = "start",
        size: Double = 12,
        extra: String = ""
    ) {
        text += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\""
        if anchor != "start" { text += " text-anchor=\"\(anchor)\"" }
        if !extra.isEmpty { text += " " + extra }
        text += ">" + Markup.escape(content) + "</text>"
    }

    /// A marker centred on (x, y).
    mutating func marker(_ m: Marker, _ x: Double, _ y: Double, size r: Double, color: String, outline: Bool = false) {
        let stroke = outline ? " stroke=\"#ffffff\" stroke-width=\"1.5\"" : ""
        switch m {
        case .circle:
            text += "<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(color)\"\(stroke)/>"
        case .square:
            let s = r * 1.7
            text +=
                "<rect x=\"\(Self.n(x - s / 2))\" y=\"\(Self.n(y - s / 2))\" width=\"\(Self.n(s))\" height=\"\(Self.n(s))\" fill=\"\(color)\"\(stroke)/>"
        case .diamond:
            let s = r * 1.35
            text +=
                "<path d=\"M\(Self.n(x)) \(Self.n(y - s))L\(Self.n(x + s)) \(Self.n(y))L\(Self.n(x)) \(Self.n(y + s))L\(Self.n(x - s)) \(Self.n(y))Z\" fill=\"\(color)\"\(stroke)/>"
        case .triangle:
            let s = r * 1.3
            text +=
                "<path d=\"M\(Self.n(x)) \(Self.n(y - s))L\(Self.n(x + s)) \(Self.n(y + s * 0.8))L\(Self.n(x - s)) \(Self.n(y + s * 0.8))Z\" fill=\"\(color)\"\(stroke)/>"
        case .cross:
            let s = r
            text +=
                "<path d=\"M\(Self.n(x - s)) \(Self.n(y - s))L\(Self.n(x + s)) \(Self.n(y + s))M\(Self.n(x - s)) \(Self.n(y + s))L\(Self.n(x + s)) \(Self.n(y - s))\" stroke=\"\(color)\" stroke-width=\"2\" fill=\"none\"/>"
        }
    }
}

/// Rough text widths for layout (no font metrics in a pure-Swift renderer): the average advance
/// of a sans-serif face, generous so that labels do not collide.
enum TextMetrics {
    static func width(_ text: String, size: Double = 12) -> Double {
        Double(text.count) * size * 0.58
    }
}

func dashArray(_ d: Dash) -> String {
    switch d {
    case .solid: return ""
    case .dashed: return " stroke-dasharray=\"7 4\""
    case .dotted: return " stroke-dasharray=\"2 3\""
    }
}

/// The svg element's opening: size, viewBox, accessible title and description, test hooks.
func svgOpen(
    id: String,
    width: Double,
    height: Double,
    title: String,
    description: String,
    kind: String,
    series: Int
)
    -> String
{
    let w = SVGBuilder.n(width)
    let h = SVGBuilder.n(height)
    return
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"t2-chart\" id=\"\(id)\" data-kind=\"\(kind)\" data-series-count=\"\(series)\" viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\">"
        + "<title id=\"\(id)-title\">\(Markup.escape(title))</title>"
        + "<desc id=\"\(id)-desc\">\(Markup.escape(description))</desc>"
        + "<rect class=\"background\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>"
}

/// Title and subtitle; returns the y where the plot may start.
func svgHeading(_ b: inout SVGBuilder, title: String, subtitle: String?, width: Double) -> Double {
    b.label(12, 22, title, size: 15, extra: "font-weight=\"600\" fill=\"#111111\" class=\"chart-title\"")
    guard let subtitle else { return 38 }
    // Wrap a long subtitle onto two lines at most.
    let maxChars = Swift.max(20, Int((width - 24) / (12 * 0.58)))
    var lines: [String] = []
    var current = ""
    for word in subtitle.split(separator: " ") {
        if current.count + word.count + 1 > maxChars, !current.isEmpty {
            lines.append(current)
            current = ""
        }
        current += (current.isEmpty ? "" : " ") + word
    }
    if !current.isEmpty { lines.append(current) }
    if lines.count > 2 { lines = [lines[0], lines[1...].joined(separator: " ")] }
    var y = 40.0
    for l in lines {
        b.label(12, y, l, size: 12, extra: "fill=\"#555555\" class=\"chart-subtitle\"")
        y += 15
    }
    return y + 2
}

/// One legend entry's swatch and name.
struct LegendEntry {
    enum Swatch {
        case line(Dash)
        case marker(Marker)
        case lineMarker(Dash, Marker)
        case area
    }
    var swatch: Swatch
    var name: String
    var color: String
}

/// Lays out the legend in rows from `y` across `width`; returns the rows' SVG and height.
func svgLegend(_ entries: [LegendEntry], x0: Double, y: Double, width: Double) -> (String, Double) {
    guard !entries.isEmpty else { return ("", 0) }
    var b = SVGBuilder()
    b.raw("<g class=\"legend\">")
    var x = x0
    var row = 0.0
    let rowHeight = 18.0
    for e in entries {
        let w = 30 + TextMetrics.width(e.name) + 14
        if x + w > width - 8, x > x0 {
            x = x0
            row += 1
        }
        let cy = y + row * rowHeight + 6
        b.raw("<g class=\"legend-entry\">")
        switch e.swatch {
        case .line(let d):
            b.line(x, cy, x + 24, cy, "stroke=\"\(e.color)\" stroke-width=\"2.5\"" + dashArray(d))
        case .marker(let m):
            b.marker(m, x + 12, cy, size: 4, color: e.color)
        case .lineMarker(let d, let m):
            b.line(x, cy, x + 24, cy, "stroke=\"\(e.color)\" stroke-width=\"2\"" + dashArray(d))
            b.marker(m, x + 12, cy, size: 3.5, color: e.color)
        case .area:
            b.raw(
                "<rect x=\"\(SVGBuilder.n(x))\" y=\"\(SVGBuilder.n(cy - 6))\" width=\"24\" height=\"12\" fill=\"\(e.color)\" fill-opacity=\"0.25\" stroke=\"\(e.color)\" stroke-opacity=\"0.6\"/>"
            )
        }
        b.label(x + 30, cy + 4, e.name, size: 12, extra: "fill=\"#222222\"")
        b.raw("</g>")
        x += w
    }
    b.raw("</g>")
    return (b.text, (row + 1) * rowHeight)
}

/// Rows the legend will need (for sizing before drawing).
func legendRows(_ entries: [LegendEntry], x0: Double, width: Double) -> Int {
    guard !entries.isEmpty else { return 0 }
    var x = x0
    var rows = 1
    for e in entries {
        let w = 30 + TextMetrics.width(e.name) + 14
        if x + w > width - 8, x > x0 {
            x = x0
            rows += 1
        }
        x += w
    }
    return rows
}
