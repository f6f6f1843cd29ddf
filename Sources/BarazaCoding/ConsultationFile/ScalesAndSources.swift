import BarazaIngest
import BarazaModel
import Foundation
import Yams

/// The parts of a consultation file with most keys of their own: a scale (points and missing
/// labels) and a source (path and reading options).
extension Parser {
    func scale(id: String, _ v: Node) throws(ConsultationError) -> Scale {
        let sm = try mapping(v, "scale '\(id)'")
        try checkKeys(sm, allowed: ["labels", "missing"], "scale '\(id)'")
        let labelsNode = try require(sm, "labels", in: v, "scale '\(id)'")
        var points: [ScalePoint] = []
        for (k, lv) in try mapping(labelsNode, "labels of scale '\(id)'") {
            let value = try int(k, "scale point")
            points.append(ScalePoint(value: value, labels: try strings(lv, "labels")))
        }
        points.sort { $0.value < $1.value }
        for (a, b) in zip(points, points.dropFirst()) where b.value != a.value + 1 {
            throw ConsultationError(
                .scaleGap,
                "scale '\(id)' jumps from \(a.value) to \(b.value)",
                at: loc(labelsNode),
                expected:
                    "consecutive points \(a.value)…\(points.last?.value ?? b.value) with labels for \(a.value + 1)"
            )
        }
        var missing = BuiltInScales.missing
        if let mn = value(sm, "missing") {
            if let list = mn.sequence {
                // A plain list adds to "don't know".
                for item in list { missing[.dontKnow, default: []].append(try string(item, "missing label")) }
            } else {
                for (k, lv) in try mapping(mn, "missing") {
                    let kindName = try string(k, "missing kind")
                    let kinds = MissingKind.allCases.filter { $0 != .tooFewItems }
                    guard let kind = MissingKind(rawValue: kindName), kinds.contains(kind) else {
                        throw ConsultationError(
                            .invalidValue,
                            "unknown missing kind '\(kindName)'",
                            at: loc(k),
                            expected: kinds.map(\.rawValue).joined(separator: ", ")
                        )
                    }
                    missing[kind, default: []] += try strings(lv, "missing labels")
                }
            }
        }
        return Scale(id: id, points: points, missing: missing)
    }

    func source(_ item: Node, base: String) throws(ConsultationError) -> SourceSpec {
        let sm = try mapping(item, "a source")
        try checkKeys(
            sm,
            allowed: [
                "path", "country", "wave", "group_column", "group", "country_column", "id_column", "submitted_column",
                "weight_column", "delimiter", "encoding", "format", "record_element", "organisation_column",
                "group_lookup", "group_separator", "max_field_mib", "max_record_mib", "include_incomplete", "form",
            ],
            "a source"
        )
        func opt(_ key: String) throws(ConsultationError) -> String? {
            guard let n = value(sm, key) else { return nil }
            return try string(n, key)
        }
        let pathNode = try require(sm, "path", in: item, "a source")
        let path = try string(pathNode, "path")
        var options = ReadOptions()
        if let d = try opt("delimiter") {
            let c: Character? = d == "\\t" || d == "tab" ? "\t" : d.count == 1 ? d.first : nil
            guard let c, [",", ";", "\t", "|"].contains(c) else {
                throw ConsultationError(
                    .invalidValue,
                    "unsupported delimiter '\(d)'",
                    at: loc(value(sm, "delimiter")),
                    expected: "',', ';', 'tab' or '|'"
                )
            }
            options.delimiter = c
        }
        if let e = try opt("encoding") {
            guard
                let enc = TextEncoding(rawValue: e)
                    ?? [TextEncoding.utf8, .utf8BOM, .utf16LE, .utf16BE, .windows1252]
                    .first(where: {
                        $0.rawValue.lowercased() == e.lowercased() || ($0 == .windows1252 && e.lowercased() == "cp1252")
                    })
            else {
                throw ConsultationError(
                    .invalidValue,
                    "unknown encoding '\(e)'",
                    at: loc(value(sm, "encoding")),
                    expected: "UTF-8, UTF-16LE, UTF-16BE or Windows-1252"
                )
            }
            options.encoding = enc
        }
        if let f = try opt("format") {
            guard let p = ExportProfile(rawValue: f) else {
                throw ConsultationError(
                    .invalidValue,
                    "unknown format '\(f)'",
                    at: loc(value(sm, "format")),
                    expected: ExportProfile.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            options.profile = p
        }
        for (key, isField) in [("max_field_mib", true), ("max_record_mib", false)] {
            guard let n = value(sm, key) else { continue }
            let mib = try int(n, key)
            guard (1...4096).contains(mib) else {
                throw ConsultationError(
                    .invalidValue,
                    "\(key) must be from 1 to 4096",
                    at: loc(n),
                    expected: "a size in MiB"
                )
            }
            if isField { options.limits.fieldBytes = mib << 20 } else { options.limits.recordBytes = mib << 20 }
        }
        options.recordElement = try opt("record_element")
        options.groupSeparator = try opt("group_separator")
        if let n = value(sm, "include_incomplete") { options.includeIncomplete = try bool(n, "include_incomplete") }
        var lookup: [String: String] = [:]
        if let lp = try opt("group_lookup") {
            let lookupPath = joinPath(base, lp)
            try confine(lookupPath, written: lp, value(sm, "group_lookup"), "group_lookup")
            var d = Diagnostics()
            guard var reader = try? ExportReader.open(lookupPath, diagnostics: &d), reader.columns.count >= 2 else {
                throw ConsultationError(
                    .invalidValue,
                    "group_lookup '\(lp)' cannot be read",
                    at: loc(value(sm, "group_lookup")),
                    expected: "a CSV file with organisation and group columns"
                )
            }
            reader.forEachRecord(&d) { item, _ in
                if case .record(let r) = item, r.values.count >= 2 {
                    lookup[Folding.fold(r.values[0])] = r.values[1].trimmingCharacters(in: .whitespaces)
                }
                return true
            }
        }
        var spec = SourceSpec(
            path: path,
            country: try opt("country"),
            wave: try opt("wave"),
            groupColumn: try opt("group_column"),
            group: try opt("group"),
            countryColumn: try opt("country_column"),
            idColumn: try opt("id_column"),
            submittedColumn: try opt("submitted_column"),
            weightColumn: try opt("weight_column"),
            organisationColumn: try opt("organisation_column"),
            groupLookup: lookup,
            options: options,
            location: loc(pathNode)
        )
        if let fn = value(sm, "form") {
            let form = try string(fn, "form")
            try confine(joinPath(base, form), written: form, fn, "form")
            spec.form = form
        }
        let folder = (joinPath(base, path) as NSString).deletingLastPathComponent
        try confine(folder, written: path, pathNode, "source path")
        for entry in SourceFiles.expand(spec.path, base: base) {
            try confine(entry, written: path, pathNode, "source file '\(entry)' of path")
            guard SourceFiles.isFolder(entry) else { continue }
            let files = SourceFiles.submissionFiles(inFolder: entry)
            if files.isEmpty, let problem = SourceFiles.folderProblem(entry) {
                throw ConsultationError(
                    .invalidValue,
                    "source path '\(path)': \(problem)",
                    at: loc(pathNode),
                    expected: "an export file, or a folder of XML submissions"
                )
            }
            let inside = tree.contains(files: files, of: entry)
            if inside.count < files.count, let outside = Set(files).subtracting(inside).sorted().first {
                try confine(outside, written: path, pathNode, "source file '\(outside)' of path")
            }
        }
        if SourceFiles.expand(spec.path, base: base).isEmpty {
            throw ConsultationError(
                .globMatchesNothing,
                "source path '\(path)' matches no file",
                at: loc(pathNode),
                expected: "a path or glob that names at least one export"
            )
        }
        return spec
    }
}
