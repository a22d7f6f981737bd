import Foundation
import Plotting
import Testing

@Suite("Plotting: scales, ticks and number labels")
struct ScaleTests {
    @Test("a log axis over FLOPs has decade ticks written 1e18, 1e20, …")
    func logFLOPTicks() {
        let d = Scale.niceDomain([3e18, 2.2e24], kind: .log)
        #expect(d.lowerBound == 2e18)
        #expect(d.upperBound == 5e24)
        let ticks = Scale(kind: .log, domain: d, range: (0, 1)).ticks()
        let labels = ticks.map { NumberFormat.scientific.label($0) }
        #expect(labels == ["1e19", "1e20", "1e21", "1e22", "1e23", "1e24"])
    }

    @Test("a log axis over many decades thins its ticks to multiples of a stride")
    func thinnedDecades() {
        let ticks = Scale(kind: .log, domain: 1e6...1e18, range: (0, 1)).ticks(target: 6)
        #expect(
            ticks.map { NumberFormat.scientific.label($0) } == ["1e6", "1e8", "1e10", "1e12", "1e14", "1e16", "1e18"]
        )
    }

    @Test("a narrow log axis gets 1-2-5 ticks")
    func narrowLog() {
        let ticks = Scale(kind: .log, domain: 1...20, range: (0, 1)).ticks()
        #expect(ticks == [1, 2, 5, 10, 20])
    }

    @Test("counts are written 10k, 1M, 27B; percentages 1%, 0.5%; dollars $1.2k")
    func labels() {
        #expect(NumberFormat.count.label(1e4) == "10k")
        #expect(NumberFormat.count.label(1e6) == "1M")
        #expect(NumberFormat.count.label(2.7e10) == "27B")
        #expect(NumberFormat.count.label(1.5e12) == "1.5T")
        #expect(NumberFormat.count.label(27_027_027) == "27M")
        #expect(NumberFormat.count.label(158e9, step: 0) == "158B")
        #expect(NumberFormat.percent.label(0.01, step: 0.01) == "1%")
        #expect(NumberFormat.percent.label(0.005, step: 0.005) == "0.5%")
        #expect(NumberFormat.percent.label(0.25, step: 0.05) == "25%")
        #expect(NumberFormat.usd.label(1200) == "$1.2k")
        #expect(NumberFormat.usd.label(0.0623) == "$0.0623")
        #expect(NumberFormat.scientific.label(2.56e19) == "2.56e19")
        #expect(NumberFormat.number.label(0.0001) == "1e-4")
        #expect(NumberFormat.number.label(-2.5, step: 0.5) == "−2.5")
        #expect(NumberFormat.number.label(0) == "0")
        #expect(NumberFormat.number.label(.nan) == "NaN")
    }

    @Test("linear ticks step by 1, 2 or 5 × 10^k and are labelled with the decimals the step needs")
    func linearTicks() {
        let d = Scale.niceDomain([0.013, 0.87], kind: .linear)
        #expect(d == 0...1)
        let ticks = Scale(kind: .linear, domain: d, range: (0, 1)).ticks()
        #expect(ticks.map { NumberFormat.number.label($0, step: 0.2) } == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let percent = Scale(kind: .linear, domain: 0...0.05, range: (0, 1)).ticks()
        #expect(percent.map { NumberFormat.percent.label($0, step: 0.01) } == ["0%", "1%", "2%", "3%", "4%", "5%"])
    }

    @Test("domains ignore NaN, infinities and (on a log scale) values ≤ 0")
    func domainsIgnoreUnplottable() {
        #expect(Scale.niceDomain([.nan, -1, 0, 3, 70, .infinity], kind: .log) == 2...100)
        #expect(Scale.niceDomain([], kind: .log) == 1...10)
        #expect(Scale.niceDomain([5, 5], kind: .linear).contains(5))
    }
}

@Suite("Plotting: SVG output")
struct SVGTests {
    static func sample(_ name: String = "pass@k") -> Chart {
        Chart(
            id: "test chart",
            title: "pass@k against k <test> & \"quotes\"",
            subtitle:
                "A subtitle long enough to be wrapped onto a second line when the chart is narrow, as on a phone.",
            x: Axis("samples k", scale: .log, format: .count),
            y: Axis("pass@k", format: .percent, min: 0),
            series: [
                Series(name, .points(.circle), [1, 2, 4, 8, 16, 32].map { DataPoint($0, 0.1 * log2($0 + 1)) }),
                Series(
                    "fitted",
                    .line(.solid),
                    (0...20).map { DataPoint(pow(10, Double($0) / 10), 0.05 * Double($0)) }
                ),
                Series(
                    "forecast",
                    .errorBars(.diamond),
                    [DataPoint(100, 0.8, low: 0.7, high: 0.9), DataPoint(1000, 0.9, low: 0.85, high: 0.95)]
                ),
                Series(
                    "band",
                    .band,
                    [DataPoint(10, 0.5, low: 0.4, high: 0.6), DataPoint(100, 0.7, low: 0.6, high: 0.8)]
                ),
                Series(
                    "nothing drawable",
                    .line(.dashed),
                    [DataPoint(0, 0.5), DataPoint(-1, 0.2), DataPoint(.nan, 1)]
                ),
            ],
            annotations: [Annotation(.point(x: 37, y: 0.3, .circle), label: "plan k = 37")]
        )
    }

    @Test("a chart is well-formed XML with its title, axes, ticks and one group per drawable series")
    func wellFormed() throws {
        let svg = Self.sample().svg()
        let doc = SVGInspection(svg)
        #expect(doc.wellFormed, "\(doc.error ?? "")")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(doc.elements.first { $0.name == "title" }?.text == "pass@k against k <test> & \"quotes\"")
        // The series with no point on a log axis is left out, and the count says so.
        #expect(doc.series.count == 4)
        #expect(doc.elements.last?.attributes["data-series-count"] == "4")
        #expect(
            doc.series.map { $0.attributes["data-series"] ?? "" }.sorted() == ["band", "fitted", "forecast", "pass@k"]
        )
        let xTicks = doc.tickLabels("x-axis")
        #expect(xTicks == ["1", "10", "100", "1k"])
        let yTicks = doc.tickLabels("y-axis")
        #expect(yTicks.first == "0%")
        #expect(yTicks.last == "100%")
        let (xlo, xhi) = try #require(doc.axisRange("x-axis"))
        #expect(xlo == 1 && xhi == 1000)
        let (ylo, yhi) = try #require(doc.axisRange("y-axis"))
        #expect(ylo == 0 && yhi == 1)
        #expect(doc.withClass("annotation").count == 1)
    }

    @Test("the same chart gives the same bytes; a changed point changes them")
    func deterministic() {
        #expect(Self.sample().svg() == Self.sample().svg())
        var other = Self.sample()
        other.series[0].points[0].y = 0.11
        #expect(other.svg() != Self.sample().svg())
    }

    @Test("names with markup characters are escaped and still parse; control characters are dropped")
    func escaping() {
        let svg = Self.sample("a <b> & 'c' \u{1}").svg()
        let doc = SVGInspection(svg)
        #expect(doc.wellFormed, "\(doc.error ?? "")")
        #expect(doc.series.contains { $0.attributes["data-series"] == "a <b> & 'c' " })
    }

    @Test("fixed axis ends are kept; data outside them is clipped, not dropped from the axes' declared range")
    func fixedEnds() throws {
        var c = Self.sample()
        c.x = Axis("k", scale: .log, format: .count, min: 10, max: 100)
        let doc = SVGInspection(c.svg())
        let (lo, hi) = try #require(doc.axisRange("x-axis"))
        #expect(lo == 10 && hi == 100)
        #expect(doc.elements.contains { $0.name == "clipPath" })
    }

    @Test("a line through a single drawable point still shows it")
    func singlePointLine() {
        let c = Chart(
            id: "one",
            title: "one point",
            x: Axis("x", scale: .log),
            y: Axis("y"),
            series: [Series("lonely", .line(.dashed), [DataPoint(10, 1), DataPoint(-1, 2)])]
        )
        let doc = SVGInspection(c.svg())
        #expect(doc.series.count == 1)
        #expect(doc.elements.contains { $0.name == "circle" && $0.ancestors.last?.contains("series") == true })
    }

    @Test("a standalone SVG document carries the XML prolog and parses")
    func standalone() {
        let text = AnyChart.xy(Self.sample()).svgDocument()
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg"))
        #expect(SVGInspection(text).wellFormed)
    }

    @Test("bar charts: one group per series, stacked totals, category labels on the left")
    func bars() throws {
        let chart = BarChart(
            id: "memory",
            title: "Memory per device",
            categories: ["h100-sxm fp8", "a100 & <bf16>"],
            bars: [
                BarChart.Bars("weights", [9.1, 16.1]),
                BarChart.Bars("KV cache", [60, 50]),
                BarChart.Bars("free", [6.9, nil]),
            ],
            stacked: true,
            value: Axis("GB per device")
        )
        let doc = SVGInspection(chart.svg())
        #expect(doc.wellFormed, "\(doc.error ?? "")")
        #expect(doc.series.count == 3)
        #expect(doc.tickLabels("categories") == ["h100-sxm fp8", "a100 & <bf16>"])
        let (lo, hi) = try #require(doc.axisRange("x-axis"))
        #expect(lo == 0 && hi >= 76)
        #expect(doc.elements.filter { $0.name == "rect" && $0.ancestors.last?.contains("series") == true }.count == 5)
        let table = chart.dataTable
        #expect(table.rows.count == 2)
        #expect(table.rows[1].last == "")
    }

    @Test("a chart's table lists every drawn point with its interval")
    func table() {
        let t = Self.sample().dataTable
        #expect(t.columns == ["series", "samples k", "pass@k", "interval"])
        #expect(t.rows.count == 6 + 21 + 2 + 2)
        #expect(t.rows.contains { $0[0] == "forecast" && $0[3] == "[70%, 90%]" })
    }
}
