import BarazaKit
import BarazaModel
import Foundation
import Testing
@testable import BarazaIngest

/// The XML reader against a model of the documents it reads: random record trees (groups,
/// repeats numbered `name[k]`, empty elements, namespaced names, padded and multi-line text,
/// entities, CDATA, text between a group's children, attributes) are written out, and the
/// columns and values the model gives must be what the reader reads, file after file.
struct XMLModelTests {
    indirect enum Node {
        case leaf(name: String, xml: String, text: String, selfClosing: Bool)
        case group(name: String, children: [Node], between: String)

        var name: String {
            switch self {
            case .leaf(let n, _, _, _), .group(let n, _, _): n
            }
        }
    }

    /// (xml, text as the reader should see it before trimming).
    static let texts: [(String, String)] = [
        ("Agree", "Agree"), ("  padded  ", "  padded  "), ("\n    multi\n    line\n  ", "\n    multi\n    line\n  "),
        ("Zoë", "Zoë"), ("a &amp; b", "a & b"), ("&lt;x&gt;", "<x>"), ("", ""), ("   ", "   "),
        ("<![CDATA[raw <stuff>]]>", "raw <stuff>"), ("\u{00A0}nbsp\u{00A0}", "\u{00A0}nbsp\u{00A0}"), ("日本語", "日本語"),
        ("x<!-- a comment -->y", "xy"),
    ]
    static let names = ["a", "b", "q1", "grp", "régión", "orx:meta", "x_1"]

    static func tree(_ rng: inout SplitMix64, depth: Int) -> [Node] {
        (0..<Int(rng.next() % 5))
            .map { _ in
                let name = names[Int(rng.next() % UInt64(names.count))]
                if depth < 3 && rng.next() % 3 == 0 {
                    let children = tree(&rng, depth: depth + 1)
                    if !children.isEmpty {
                        return .group(name: name, children: children, between: rng.next() % 2 == 0 ? "\n  " : "stray")
                    }
                }
                let (xml, text) = texts[Int(rng.next() % UInt64(texts.count))]
                return .leaf(name: name, xml: xml, text: text, selfClosing: rng.next() % 6 == 0)
            }
    }

    static func xml(_ nodes: [Node]) -> String {
        nodes.map { n -> String in
            switch n {
            case .leaf(let name, let xml, _, let selfClosing): selfClosing ? "<\(name)/>" : "<\(name)>\(xml)</\(name)>"
            case .group(let name, let children, let between):
                "<\(name)>\(between)" + children.map { xml([$0]) }.joined(separator: between) + "</\(name)>"
            }
        }
        .joined()
    }

    /// The (column, value, group path, leaf) the model sets, in document order.
    static func sets(_ nodes: [Node], parent: [String]) -> [(String, String, [String], String)] {
        var seen: [String: Int] = [:]
        var out: [(String, String, [String], String)] = []
        for n in nodes {
            let local = n.name.split(separator: ":").last.map(String.init) ?? n.name
            let k = (seen[local] ?? 0) + 1
            seen[local] = k
            let part = k > 1 ? "\(local)[\(k)]" : local
            let path = (parent + [part]).joined(separator: "/")
            switch n {
            case .leaf(_, _, let text, let selfClosing):
                out.append((path, selfClosing ? "" : text.trimmingWhitespace(), parent, local))
            case .group(_, let children, _): out += sets(children, parent: parent + [part])
            }
        }
        return out
    }

    @Test func readerReadsWhatTheModelWrites() throws {
        var rng = SplitMix64(seed: 42)
        for file in 0..<40 {
            var body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<responses xmlns:orx=\"http://openrosa.org/xforms\">\n"
            var expectedColumns: [ColumnHeader] = []
            var index: [String: Int] = [:]
            var expectedRecords: [[String]] = []
            for r in 0..<Int(rng.next() % 30 + 1) {
                let nodes = Self.tree(&rng, depth: 0)
                let attribute = rng.next() % 2 == 0
                body +=
                    "<data id=\"form\(file)\"\(attribute ? " version=\"v\(r)\"" : "")>" + Self.xml(nodes) + "</data>\n"
                var values: [String] = []
                func set(_ column: String, _ value: String, _ group: [String], _ leaf: String) {
                    let i: Int
                    if let known = index[column] {
                        i = known
                    } else {
                        i = expectedColumns.count
                        index[column] = i
                        expectedColumns.append(ColumnHeader(name: column, leaf: leaf, groupPath: group))
                    }
                    if values.count <= i { values += Array(repeating: "", count: i + 1 - values.count) }
                    values[i] = value
                }
                set("@id", "form\(file)", [], "@id")
                if attribute { set("@version", "v\(r)", [], "@version") }
                for (c, v, g, l) in Self.sets(nodes, parent: []) { set(c, v, g, l) }
                expectedRecords.append(values)
            }
            body += "</responses>\n"
            let (records, rejected, d, reader) = try readAll(try tempFile(Array(body.utf8), ext: "xml"))
            #expect(rejected.isEmpty && !d.hasErrors, "file \(file)")
            #expect(reader.columns == expectedColumns, "file \(file)")
            #expect(records.map(\.values) == expectedRecords, "file \(file)")
            if records.map(\.values) != expectedRecords { break }
        }
    }
}
