import Foundation

extension Chart {
    /// The x and y scales the chart is drawn with, for a plot area of the given pixel box.
    public func scales(plotLeft: Double, plotRight: Double, plotTop: Double, plotBottom: Double) -> (Scale, Scale) {
        let (xd, yd) = domains()
        return (
            Scale(kind: x.scale, domain: xd, range: (plotLeft, plotRight)),
            Scale(kind: y.scale, domain: yd, range: (plotBottom, plotTop))
        )
    }

    /// The data intervals shown on x and y: the axes' fixed ends, else the drawn data, rounded.
    public func domains() -> (ClosedRange<Double>, ClosedRange<Double>) {
        var xs: [Double] = []
        var ys: [Double] = []
        for s in drawnSeries {
            for p in s.points where p.x.isFinite && (x.scale == .linear || p.x > 0) {
                xs.append(p.x)
                ys.append(contentsOf: [p.y, p.low ?? .nan, p.high ?? .nan])
            }
        }
        for a in annotations {
            switch a.kind {
            case .point(let ax, let ay, _):
                xs.append(ax)
                ys.append(ay)
            case .verticalLine(let ax): xs.append(ax)
            case .horizontalLine(let ay): ys.append(ay)
            }
        }
        return (Self.domain(xs, axis: x), Self.domain(ys, axis: y))
    }

    static func domain(_ values: [Double], axis: Axis) -> ClosedRange<Double> {
        let usable = values.filter { $0.isFinite && (axis.scale == .linear || $0 > 0) }
        var d = Scale.niceDomain(usable, kind: axis.scale, includeZero: axis.includeZero)
        if let lo = axis.min, lo.isFinite, axis.scale == .linear || lo > 0 { d = lo...Swift.max(lo, d.upperBound) }
        if let hi = axis.max, hi.isFinite, hi > d.lowerBound { d = d.lowerBound...hi }
        if d.lowerBound == d.upperBound {
            d = axis.scale == .log ? d.lowerBound...(d.lowerBound * 10) : d.lowerBound...(d.lowerBound + 1)
        }
        return d
    }

    /// The chart as an SVG element (no XML prolog). Same chart, same bytes.
    public func svg() -> String {
        let id = Markup.slug(self.id)
        let drawn = drawnSeries
        var colorOf: [Int] = []
        for (i, s) in series.enumerated() { colorOf.append(s.color ?? i) }

        // Ticks and their labels first: the widest y label sets the left margin.
        let (xd, yd) = domains()
        let xTicks = Scale(kind: x.scale, domain: xd, range: (0, 1)).ticks(target: width < 420 ? 4 : 6)
        let yTicks = Scale(kind: y.scale, domain: yd, range: (0, 1)).ticks(target: 6)
        let xStep = x.scale == .linear && xTicks.count > 1 ? xTicks[1] - xTicks[0] : 0
        let yStep = y.scale == .linear && yTicks.count > 1 ? yTicks[1] - yTicks[0] : 0
        let xLabels = xTicks.map { x.format.label($0, step: xStep) }
        let yLabels = yTicks.map { y.format.label($0, step: yStep) }

        let legend = drawn.filter(\.inLegend).map { s -> LegendEntry in
            let i = series.firstIndex(of: s) ?? 0
            let color = Palette.color(colorOf[i])
            switch s.style {
            case .line(let d): return LegendEntry(swatch: .line(d), name: s.name, color: color)
            case .points(let m): return LegendEntry(swatch: .marker(m), name: s.name, color: color)
            case .lineAndPoints(let d, let m): return LegendEntry(swatch: .lineMarker(d, m), name: s.name, color: color)
            case .errorBars(let m): return LegendEntry(swatch: .lineMarker(.solid, m), name: s.name, color: color)
            case .band, .region: return LegendEntry(swatch: .area, name: s.name, color: color)
            }
        }
        let annotationLegend = annotations.filter { !$0.label.isEmpty }

        var b = SVGBuilder()
        let maxYLabel = yLabels.map { TextMetrics.width($0, size: 11) }.max() ?? 20
        let left = Swift.max(52, 30 + maxYLabel + 8)
        let right = width - 18
        var top = svgHeading(&b, title: title, subtitle: subtitle, width: width) + 8
        if !annotationLegend.isEmpty { top += 4 }
        let legendHeight = Double(legendRows(legend, x0: left, width: width)) * 18
        let totalHeight = height + legendHeight + (legend.isEmpty ? 0 : 6)
        let bottom = height - 50
        let (xs, ys) = (
            Scale(kind: x.scale, domain: xd, range: (left, right)),
            Scale(kind: y.scale, domain: yd, range: (bottom, top))
        )

        var out = svgOpen(
            id: id,
            width: width,
            height: totalHeight,
            title: title,
            description: description(drawn),
            kind: "xy",
            series: drawn.count
        )
        out += b.text
        b = SVGBuilder()

        // Grid and axes.
        b.raw("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
        for t in xTicks { b.line(xs.position(t), top, xs.position(t), bottom, "") }
        for t in yTicks { b.line(left, ys.position(t), right, ys.position(t), "") }
        b.raw("</g>")
        b.raw(
            "<g class=\"axis x-axis\" data-scale=\"\(x.scale.rawValue)\" data-min=\"\(xd.lowerBound)\" data-max=\"\(xd.upperBound)\" fill=\"#333333\">"
        )
        b.line(left, bottom, right, bottom, "stroke=\"#444444\" stroke-width=\"1\"")
        for (t, l) in zip(xTicks, xLabels) {
            let px = xs.position(t)
            b.line(px, bottom, px, bottom + 5, "stroke=\"#444444\"")
            b.label(px, bottom + 18, l, anchor: "middle", size: 11, extra: "class=\"tick\"")
        }
        b.label((left + right) / 2, bottom + 38, x.label, anchor: "middle", size: 12, extra: "class=\"axis-label\"")
        b.raw("</g>")
        b.raw(
            "<g class=\"axis y-axis\" data-scale=\"\(y.scale.rawValue)\" data-min=\"\(yd.lowerBound)\" data-max=\"\(yd.upperBound)\" fill=\"#333333\">"
        )
        b.line(left, top, left, bottom, "stroke=\"#444444\" stroke-width=\"1\"")
        for (t, l) in zip(yTicks, yLabels) {
            let py = ys.position(t)
            b.line(left - 5, py, left, py, "stroke=\"#444444\"")
            b.label(left - 8, py + 4, l, anchor: "end", size: 11, extra: "class=\"tick\"")
        }
        let cy = (top + bottom) / 2
        b.label(
            16,
            cy,
            y.label,
            anchor: "middle",
            size: 12,
            extra: "transform=\"rotate(-90 16 \(SVGBuilder.n(cy)))\" class=\"axis-label\""
        )
        b.raw("</g>")

        // The data, clipped to the plot area.
        b.raw(
            "<clipPath id=\"\(id)-clip\"><rect x=\"\(SVGBuilder.n(left))\" y=\"\(SVGBuilder.n(top - 4))\" width=\"\(SVGBuilder.n(right - left + 4))\" height=\"\(SVGBuilder.n(bottom - top + 8))\"/></clipPath>"
        )
        b.raw("<g class=\"plot\" clip-path=\"url(#\(id)-clip)\">")
        // Areas under lines, lines under markers.
        var areas: [Series] = []
        var lines: [Series] = []
        var marks: [Series] = []
        for s in drawn {
            switch s.style {
            case .region, .band: areas.append(s)
            case .line: lines.append(s)
            case .points, .lineAndPoints, .errorBars: marks.append(s)
            }
        }
        let order = areas + lines + marks
        for s in order {
            let i = series.firstIndex(of: s) ?? 0
            draw(s, color: Palette.color(colorOf[i]), xs: xs, ys: ys, into: &b)
        }
        b.raw("</g>")

        // Annotations.
        if !annotations.isEmpty {
            b.raw("<g class=\"annotations\">")
            for a in annotations { draw(a, xs: xs, ys: ys, xd: xd, yd: yd, top: top, into: &b) }
            b.raw("</g>")
        }

        let (legendSVG, _) = svgLegend(legend, x0: left, y: height, width: width)
        b.raw(legendSVG)
        out += b.text
        out += "</svg>"
        return out
    }

    func description(_ drawn: [Series]) -> String {
        let names = drawn.map(\.name)
        var d = "\(x.label) against \(y.label)"
        if !names.isEmpty { d += "; series: " + names.joined(separator: ", ") }
        let marks = annotations.map(\.label).filter { !$0.isEmpty }
        if !marks.isEmpty { d += "; marked: " + marks.joined(separator: ", ") }
        return d
    }

    func usable(_ p: DataPoint, xs: Scale, ys: Scale) -> Bool { xs.accepts(p.x) && ys.accepts(p.y) }

    func draw(_ s: Series, color: String, xs: Scale, ys: Scale, into b: inout SVGBuilder) {
        let kind: String
        switch s.style {
        case .line: kind = "line"
        case .points: kind = "points"
        case .lineAndPoints: kind = "line-points"
        case .errorBars: kind = "error-bars"
        case .band: kind = "band"
        case .region: kind = "region"
        }
        b.raw("<g class=\"series \(kind)\" data-series=\"\(Markup.escape(s.name))\">")
        switch s.style {
        case .line(let d):
            let drawable = s.points.filter { usable($0, xs: xs, ys: ys) }
            if drawable.count == 1 {
                // A line through one point is nothing: show the point.
                b.marker(.circle, xs.position(drawable[0].x), ys.position(drawable[0].y), size: 3, color: color)
            } else {
                b.raw(polyline(s.points, xs: xs, ys: ys, color: color, dash: d))
            }
        case .lineAndPoints(let d, let m):
            b.raw(polyline(s.points, xs: xs, ys: ys, color: color, dash: d))
            for p in s.points where usable(p, xs: xs, ys: ys) {
                b.marker(m, xs.position(p.x), ys.position(p.y), size: 3.5, color: color, outline: true)
            }
        case .points(let m):
            for p in s.points where usable(p, xs: xs, ys: ys) {
                b.marker(m, xs.position(p.x), ys.position(p.y), size: 3.5, color: color, outline: true)
            }
        case .errorBars(let m):
            for p in s.points where usable(p, xs: xs, ys: ys) {
                let px = xs.position(p.x)
                if let lo = p.low, let hi = p.high, ys.accepts(lo), ys.accepts(hi) {
                    let (y0, y1) = (ys.position(lo), ys.position(hi))
                    b.raw(
                        "<path d=\"M\(SVGBuilder.n(px)) \(SVGBuilder.n(y0))V\(SVGBuilder.n(y1))M\(SVGBuilder.n(px - 4)) \(SVGBuilder.n(y0))H\(SVGBuilder.n(px + 4))M\(SVGBuilder.n(px - 4)) \(SVGBuilder.n(y1))H\(SVGBuilder.n(px + 4))\" stroke=\"\(color)\" stroke-width=\"1.5\" fill=\"none\"/>"
                    )
                }
                b.marker(m, px, ys.position(p.y), size: 3.5, color: color, outline: true)
            }
        case .band:
            let pts = s.points.filter { p in
                xs.accepts(p.x) && (p.low.map(ys.accepts) ?? false) && (p.high.map(ys.accepts) ?? false)
            }
            if pts.count >= 2 {
                var d = ""
                for (j, p) in pts.enumerated() {
                    d +=
                        (j == 0 ? "M" : "L") + SVGBuilder.n(xs.position(p.x)) + " " + SVGBuilder.n(ys.position(p.high!))
                }
                for p in pts.reversed() {
                    d += "L" + SVGBuilder.n(xs.position(p.x)) + " " + SVGBuilder.n(ys.position(p.low!))
                }
                b.raw("<path d=\"\(d)Z\" fill=\"\(color)\" fill-opacity=\"0.2\" stroke=\"none\"/>")
            } else if let p = pts.first {
                // One point: a short vertical bar so that it still shows.
                let px = xs.position(p.x)
                b.raw(
                    "<rect x=\"\(SVGBuilder.n(px - 3))\" y=\"\(SVGBuilder.n(ys.position(p.high!)))\" width=\"6\" height=\"\(SVGBuilder.n(Swift.max(1, ys.position(p.low!) - ys.position(p.high!))))\" fill=\"\(color)\" fill-opacity=\"0.25\"/>"
                )
            }
        case .region:
            let pts = s.points.filter { usable($0, xs: xs, ys: ys) }
            if pts.count >= 3 {
                var d = ""
                for (j, p) in pts.enumerated() {
                    d += (j == 0 ? "M" : "L") + SVGBuilder.n(xs.position(p.x)) + " " + SVGBuilder.n(ys.position(p.y))
                }
                b.raw(
                    "<path d=\"\(d)Z\" fill=\"\(color)\" fill-opacity=\"0.12\" stroke=\"\(color)\" stroke-opacity=\"0.7\" stroke-dasharray=\"5 3\"/>"
                )
            }
        }
        for p in s.points where p.label != nil && usable(p, xs: xs, ys: ys) {
            b.label(xs.position(p.x) + 6, ys.position(p.y) - 6, p.label!, size: 10, extra: "fill=\"#333333\"")
        }
        b.raw("</g>")
    }

    func polyline(_ points: [DataPoint], xs: Scale, ys: Scale, color: String, dash: Dash) -> String {
        var d = ""
        var pen = false
        for p in points {
            guard usable(p, xs: xs, ys: ys) else {
                pen = false
                continue
            }
            d += (pen ? "L" : "M") + SVGBuilder.n(xs.position(p.x)) + " " + SVGBuilder.n(ys.position(p.y))
            pen = true
        }
        guard !d.isEmpty else { return "" }
        return
            "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dashArray(dash))/>"
    }

    func draw(
        _ a: Annotation,
        xs: Scale,
        ys: Scale,
        xd: ClosedRange<Double>,
        yd: ClosedRange<Double>,
        top: Double,
        into b: inout SVGBuilder
    ) {
        let color = Palette.color(a.color)
        let (left, right) = (xs.range.0, xs.range.1)
        let bottom = ys.range.0
        func inside(_ v: Double, _ d: ClosedRange<Double>, _ s: Scale) -> Bool {
            let slack: Double = (d.upperBound - d.lowerBound) * 1e-9
            let lo: Double = d.lowerBound - slack
            let hi: Double = d.upperBound + slack
            return s.accepts(v) && v >= lo && v <= hi
        }
        b.raw("<g class=\"annotation\" data-label=\"\(Markup.escape(a.label))\">")
        switch a.kind {
        case .point(let x, let y, let m):
            if inside(x, xd, xs) && inside(y, yd, ys) {
                let (px, py) = (xs.position(x), ys.position(y))
                b.marker(m, px, py, size: 6.5, color: color, outline: true)
                let w = TextMetrics.width(a.label, size: 12)
                let onLeft = px + 10 + w > right
                b.label(
                    onLeft ? px - 10 : px + 10,
                    py - 8,
                    a.label,
                    anchor: onLeft ? "end" : "start",
                    size: 12,
                    extra:
                        "font-weight=\"600\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""
                )
            }
        case .verticalLine(let x):
            if inside(x, xd, xs) {
                let px = xs.position(x)
                b.line(px, top, px, bottom, "stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"")
                let w = TextMetrics.width(a.label, size: 11)
                let onLeft = px + 4 + w > right
                b.label(
                    onLeft ? px - 4 : px + 4,
                    top + 10,
                    a.label,
                    anchor: onLeft ? "end" : "start",
                    size: 11,
                    extra: "fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""
                )
            }
        case .horizontalLine(let y):
            if inside(y, yd, ys) {
                let py = ys.position(y)
                b.line(left, py, right, py, "stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"")
                b.label(
                    right - 4,
                    py - 4,
                    a.label,
                    anchor: "end",
                    size: 11,
                    extra: "fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""
                )
            }
        }
        b.raw("</g>")
    }
}

extension BarChart {
    /// The chart as an SVG element (no XML prolog). Same chart, same bytes.
    public func svg() -> String {
        let id = Markup.slug(self.id)
        let drawn = bars.filter { $0.values.contains { $0 != nil } }
        var totals: [Double] = []
        for i in categories.indices {
            let values = bars.compactMap { i < $0.values.count ? $0.values[i] : nil }.filter(\.isFinite)
            totals.append(stacked ? values.filter { $0 > 0 }.reduce(0, +) : (values.max() ?? 0))
        }
        var domain = Scale.niceDomain(totals + [0], kind: .linear, includeZero: true)
        if let hi = value.max, hi > 0 { domain = 0...hi }
        let ticks = Scale(kind: .linear, domain: domain, range: (0, 1)).ticks(target: width < 420 ? 4 : 6)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 0

        var b = SVGBuilder()
        let top = svgHeading(&b, title: title, subtitle: subtitle, width: width) + 8
        let longest = categories.map { TextMetrics.width($0, size: 11) }.max() ?? 0
        let left = Swift.min(width * 0.45, Swift.max(60, longest + 16))
        let right = width - 60
        let groupHeight = stacked || drawn.count <= 1 ? 24.0 : Double(drawn.count) * 13 + 10
        let plotHeight = Double(categories.count) * groupHeight
        let bottom = top + plotHeight
        let legend =
            drawn.count > 1 ? drawn.map { LegendEntry(swatch: .area, name: $0.name, color: color(of: $0)) } : []
        let legendHeight = Double(legendRows(legend, x0: left, width: width)) * 18
        let height = bottom + 50 + legendHeight
        let xs = Scale(kind: .linear, domain: domain, range: (left, right))

        var out = svgOpen(
            id: id,
            width: width,
            height: height,
            title: title,
            description: "\(value.label) by category; series: \(drawn.map(\.name).joined(separator: ", "))",
            kind: "bars",
            series: drawn.count
        )
        out += b.text
        b = SVGBuilder()
        b.raw("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
        for t in ticks { b.line(xs.position(t), top, xs.position(t), bottom, "") }
        b.raw("</g>")
        b.raw(
            "<g class=\"axis x-axis\" data-scale=\"linear\" data-min=\"\(domain.lowerBound)\" data-max=\"\(domain.upperBound)\" fill=\"#333333\">"
        )
        b.line(left, bottom, right, bottom, "stroke=\"#444444\"")
        for t in ticks {
            let px = xs.position(t)
            b.line(px, bottom, px, bottom + 5, "stroke=\"#444444\"")
            b.label(
                px,
                bottom + 18,
                value.format.label(t, step: step),
                anchor: "middle",
                size: 11,
                extra: "class=\"tick\""
            )
        }
        b.label((left + right) / 2, bottom + 38, value.label, anchor: "middle", size: 12, extra: "class=\"axis-label\"")
        b.raw("</g>")
        b.raw("<g class=\"axis y-axis categories\" fill=\"#333333\">")
        b.line(left, top, left, bottom, "stroke=\"#444444\"")
        let fits = Swift.max(4, Int((left - 12) / (11 * 0.58)))
        for (i, c) in categories.enumerated() {
            let cy = top + (Double(i) + 0.5) * groupHeight
            // Too long for the margin: the start is cut (the table beneath has the whole name).
            let shown = c.count > fits ? "…" + String(c.suffix(fits - 1)) : c
            b.label(left - 6, cy + 4, shown, anchor: "end", size: 11, extra: "class=\"tick\"")
        }
        b.raw("</g>")

        b.raw("<g class=\"plot\">")
        for (j, s) in drawn.enumerated() {
            b.raw("<g class=\"series bars\" data-series=\"\(Markup.escape(s.name))\">")
            let color = color(of: s)
            for i in categories.indices {
                guard i < s.values.count, let v = s.values[i], v.isFinite, v >= 0 else { continue }
                let y0: Double
                let h: Double
                var before = 0.0
                if stacked || drawn.count == 1 {
                    y0 = top + Double(i) * groupHeight + 4
                    h = groupHeight - 8
                    if stacked {
                        before = drawn[..<j].compactMap { i < $0.values.count ? $0.values[i] : nil }
                            .filter { $0.isFinite && $0 > 0 }.reduce(0, +)
                    }
                } else {
                    y0 = top + Double(i) * groupHeight + 5 + Double(j) * 13
                    h = 11
                }
                let x0 = xs.position(before)
                let w = Swift.max(0, xs.position(before + v) - x0)
                b.raw(
                    "<rect x=\"\(SVGBuilder.n(x0))\" y=\"\(SVGBuilder.n(y0))\" width=\"\(SVGBuilder.n(w))\" height=\"\(SVGBuilder.n(h))\" fill=\"\(color)\"><title>\(Markup.escape("\(categories[i]) — \(s.name): \(value.format.label(v))"))</title></rect>"
                )
                if !stacked {
                    b.label(x0 + w + 4, y0 + h / 2 + 4, value.format.label(v), size: 10, extra: "fill=\"#333333\"")
                }
            }
            b.raw("</g>")
        }
        if stacked {
            for (i, t) in totals.enumerated() where t > 0 {
                let cy = top + (Double(i) + 0.5) * groupHeight
                b.label(xs.position(t) + 4, cy + 4, value.format.label(t), size: 10, extra: "fill=\"#333333\"")
            }
        }
        b.raw("</g>")
        let (legendSVG, _) = svgLegend(legend, x0: left, y: bottom + 50, width: width)
        b.raw(legendSVG)
        out += b.text + "</svg>"
        return out
    }

    func color(of s: Bars) -> String {
        Palette.color(s.color ?? (bars.firstIndex(of: s) ?? 0))
    }
}

extension Scale {
    /// The data value at pixel `p` (the inverse of ``position(_:)``).
    public func domainValue(_ p: Double) -> Double {
        let t = (p - range.0) / (range.1 - range.0)
        switch kind {
        case .linear: return domain.lowerBound + t * (domain.upperBound - domain.lowerBound)
        case .log:
            let lo = Foundation.log10(domain.lowerBound)
            let hi = Foundation.log10(domain.upperBound)
            return Foundation.pow(10, lo + t * (hi - lo))
        }
    }
}
