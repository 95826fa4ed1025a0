/// Accumulates SVG elements; every piece of text and every attribute value goes through `Markup.escape`.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var body = ""

    /// Font stack shared by all plots; system fonts only, so the page needs nothing from the network.
    static let fontFamily = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// A rough text width for layout (no font metrics offline): 0.58 em per character.
    static func textWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.58
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                       stroke: String, width: Double = 1, dash: String? = nil, opacity: Double? = nil,
                       cssClass: String? = nil) {
        var attributes = cssClass.map { [("class", $0)] } ?? []
        attributes += [("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)),
                          ("stroke", stroke), ("stroke-width", c(width))]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        if let opacity { attributes.append(("stroke-opacity", c(opacity))) }
        element("line", attributes)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, dash: String?) {
        let list = points.map { c($0.0) + "," + c($0.1) }.joined(separator: " ")
        var attributes = [("points", list), ("fill", "none"), ("stroke", stroke), ("stroke-width", c(width)),
                          ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        element("polyline", attributes)
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String,
                       stroke: String? = nil, tooltip: String? = nil) {
        var attributes = [("x", c(x)), ("y", c(y)), ("width", c(max(0, w))), ("height", c(max(0, h))), ("fill", fill)]
        if let stroke { attributes += [("stroke", stroke), ("stroke-width", "0.5")] }
        element("rect", attributes, tooltip: tooltip)
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String, tooltip: String? = nil) {
        element("circle", [("cx", c(x)), ("cy", c(y)), ("r", c(radius)), ("fill", fill),
                           ("stroke", "#ffffff"), ("stroke-width", "0.75")], tooltip: tooltip)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ content: String, _ x: Double, _ y: Double, size: Double = 11, anchor: Anchor = .start,
                       fill: String = "#333333", bold: Bool = false, rotate: Bool = false, tooltip: String? = nil) {
        var attributes = [("x", c(x)), ("y", c(y)), ("font-size", c(size)), ("fill", fill)]
        if anchor != .start { attributes.append(("text-anchor", anchor.rawValue)) }
        if bold { attributes.append(("font-weight", "600")) }
        if rotate { attributes.append(("transform", "rotate(-90 \(c(x)) \(c(y)))")) }
        let inner = (tooltip.map { "<title>" + Markup.escape($0) + "</title>" } ?? "") + Markup.escape(content)
        body += "<text" + render(attributes) + ">" + inner + "</text>\n"
    }

    /// The complete `<svg>` element; `label` becomes its accessible name and `<title>`.
    func document(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(c(width)) \(c(height))\" width=\"\(c(width))\" "
            + "height=\"\(c(height))\" role=\"img\" aria-label=\"\(Markup.escape(label))\" "
            + "font-family=\"\(Markup.escape(SVGCanvas.fontFamily))\">\n"
            + "<title>\(Markup.escape(label))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(c(width))\" height=\"\(c(height))\" fill=\"#ffffff\"/>\n"
            + body + "</svg>"
    }

    private mutating func element(_ name: String, _ attributes: [(String, String)], tooltip: String? = nil) {
        if let tooltip {
            body += "<" + name + render(attributes) + "><title>" + Markup.escape(tooltip) + "</title></" + name + ">\n"
        } else {
            body += "<" + name + render(attributes) + "/>\n"
        }
    }

    private func render(_ attributes: [(String, String)]) -> String {
        attributes.map { " " + $0.0 + "=\"" + Markup.escape($0.1) + "\"" }.joined()
    }

    private func c(_ value: Double) -> String { NumberFormat.coordinate(value) }
}
