import BarazaFiles
import BarazaReporting
import BarazaStore

/// The rejects file beside the store: every rejected row the store keeps, as CSV (file, line,
/// reason, the row's fields), replaced whole so that a reader never sees half of it.
public enum RejectsFile {
    public static func write(from store: SQLiteStore, to path: String) throws {
        let rejects = try store.rejects()
        var text = "file,line,reason,fields\r\n"
        for r in rejects {
            let fields = r.values.joined(separator: " | ")
            text +=
                [r.location.file, String(r.location.line), r.reason, fields].map(Escape.csv).joined(separator: ",")
                + "\r\n"
        }
        try SafeFiles.replace(path, contents: text.utf8)
    }
}
