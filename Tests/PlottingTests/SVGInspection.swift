import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG parsed with Foundation's XMLParser: proof that it is well-formed XML, and its elements
/// for the tests to inspect (tick labels, axis ranges, series).
final class SVGInspection: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
        /// Class attributes of the enclosing elements, innermost last.
        var ancestors: [String]
    }

    private(set) var elements: [Element] = []
    private var stack: [(name: String, attributes: [String: String], text: String)] = []
    private(set) var error: String?

    /// Parses `text`; `error` says why when it is not well-formed.
    init(_ text: String) {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        if !parser.parse() {
            error = parser.parserError.map { "\($0)" } ?? "parse failed at line \(parser.lineNumber)"
        }
    }

    var wellFormed: Bool { error == nil }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        stack.append((elementName, attributeDict, ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !stack.isEmpty { stack[stack.count - 1].text += string }
    }

    func parser(
        _ parser: XMLParser,
        didEndElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        guard let top = stack.popLast() else { return }
        elements.append(
            Element(
                name: top.name,
                attributes: top.attributes,
                text: top.text,
                ancestors: stack.map { $0.attributes["class"] ?? "" }
            )
        )
    }

    /// Elements with `class` containing `name`.
    func withClass(_ name: String) -> [Element] {
        elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(name)) }
    }

    /// Tick label texts of the axis group with class `axisClass` ("x-axis", "y-axis").
    func tickLabels(_ axisClass: String) -> [String] {
        elements.filter {
            $0.name == "text" && $0.attributes["class"] == "tick" && $0.ancestors.last?.contains(axisClass) == true
        }
        .map(\.text)
    }

    /// The data range an axis group declares.
    func axisRange(_ axisClass: String) -> (Double, Double)? {
        guard let g = withClass(axisClass).first, let lo = g.attributes["data-min"].flatMap(Double.init),
            let hi = g.attributes["data-max"].flatMap(Double.init)
        else { return nil }
        return (lo, hi)
    }

    /// The series groups, in drawing order.
    var series: [Element] { withClass("series") }
}
