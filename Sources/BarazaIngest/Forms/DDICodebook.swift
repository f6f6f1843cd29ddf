import BarazaModel
import Foundation

/// A variable described by a DDI Codebook 2.5 file: its label, positions and category labels.
public struct DDIVariable: Sendable, Hashable {
    public var name: String
    public var label: String
    public var startPosition: Int?
    public var endPosition: Int?
    /// Category value → label, in document order.
    public var categories: [(value: String, label: String)]

    public static func == (a: DDIVariable, b: DDIVariable) -> Bool {
        a.name == b.name && a.label == b.label && a.categories.map(\.value) == b.categories.map(\.value)
    }
    public func hash(into h: inout Hasher) { h.combine(name) }
}

/// Reads the variables and category labels of a DDI Codebook 2.5 file (IPUMS, Dataverse), with
/// libxml2's streaming reader: no network, no DTD, no entity expansion. The labels let a
/// consultation map coded data (`01` → "January") the same way as labelled exports.
public enum DDICodebook {
    public static func read(_ path: String, diagnostics: inout Diagnostics) throws(IngestError) -> [DDIVariable] {
        let xml = try XMLStream(path: path)
        var out: [DDIVariable] = []
        var current: DDIVariable?
        var inCategory = false
        var catValue = ""
        var catLabel = ""
        var stack: [String] = []
        var text = ""
        while let step = xml.next() {
            guard case .success(let node) = step else {
                if case .failure(let e) = step {
                    diagnostics.error(
                        "DDI codebook is not well-formed XML",
                        at: SourceLocation(file: path, line: e.line),
                        expected: "well-formed XML"
                    )
                }
                break
            }
            switch node {
            case .element(let name, let empty):
                if name == "var" {
                    current = DDIVariable(
                        name: xml.attribute("name") ?? xml.attribute("ID") ?? "",
                        label: "",
                        categories: []
                    )
                } else if name == "location", current != nil {
                    current?.startPosition = xml.attribute("StartPos").flatMap { Int($0) }
                    current?.endPosition = xml.attribute("EndPos").flatMap { Int($0) }
                } else if name == "catgry" {
                    inCategory = true
                    catValue = ""
                    catLabel = ""
                }
                text = ""
                if !empty { stack.append(name) }
            case .text(let t): text += t
            case .end(let name):
                _ = stack.popLast()
                let t = text.trimmingWhitespace()
                switch name {
                case "catValu" where inCategory: catValue = t
                case "labl" where inCategory: catLabel = t
                case "labl" where current != nil && stack.last == "var": current?.label = t
                case "catgry":
                    if inCategory { current?.categories.append((catValue, catLabel)) }
                    inCategory = false
                case "var":
                    if let v = current { out.append(v) }
                    current = nil
                default: break
                }
                text = ""
            case .other: continue
            }
        }
        return out
    }
}
