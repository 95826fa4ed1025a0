import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Helpers to pull SVG elements out of a page and check them with a real XML parser.
enum SVGInspection {
    /// Every `<svg …>…</svg>` element of `html`, in order (the report never nests them).
    static func elements(in html: String) -> [String] {
        var found: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            found.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// The parser's error when `svg` is not well-formed XML, else nil.
    static func xmlError(_ svg: String) -> String? {
        let parser = XMLParser(data: Data(svg.utf8))
        return parser.parse() ? nil : String(describing: parser.parserError)
    }

    /// Asserts every SVG in `html` parses as XML and returns how many there were.
    @discardableResult
    static func assertWellFormed(_ html: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        let svgs = elements(in: html)
        XCTAssertEqual(svgs.count, html.components(separatedBy: "<svg").count - 1, "unbalanced <svg>", file: file, line: line)
        for svg in svgs {
            if let error = xmlError(svg) {
                XCTFail("not well-formed: \(error)\n\(svg.prefix(400))", file: file, line: line)
            }
        }
        return svgs.count
    }

    /// Occurrences of `needle` in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}
