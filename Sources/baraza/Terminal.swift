import BarazaModel
import BarazaReporting
import BarazaPipeline
import Foundation

/// Front-end output: JSON on stdout, human messages on stderr. Messages quote values from the
/// exports (group names, labels, file names), so their control characters are escaped: a value
/// must not drive the terminal.
enum Terminal {
    static func err(_ s: String) { FileHandle.standardError.write(Data((Escape.terminal(s) + "\n").utf8)) }

    static func out(_ s: String) { FileHandle.standardOutput.write(Data((Escape.terminal(s) + "\n").utf8)) }

    static func json<T: Encodable>(_ value: T) {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let d = try? e.encode(value) { FileHandle.standardOutput.write(d + Data("\n".utf8)) }
    }

    static func print(_ diagnostics: Diagnostics, minimum: Diagnostic.Severity = .warning) {
        for d in diagnostics.items where d.severity >= minimum { err(d.description) }
        for (k, n) in diagnostics.suppressedCounts.sorted(by: { $0.key < $1.key }) {
            err("note: \(n) more like '\(k)' not shown")
        }
    }

    static var isTTY: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Exit codes of the command-line contract.
/// The contract's exit statuses (`ExitStatus` in the library).
enum Exit {
    static let failed = ExitStatus.failed
    static let usage = ExitStatus.usage
    static let needsPerson = ExitStatus.needsPerson
}
