import ArgumentParser
import BarazaModel
import Foundation

@main struct Baraza: ParsableCommand {
    static let version = BarazaVersion.current
    static let configuration = CommandConfiguration(
        commandName: "baraza",
        abstract: "Turn multistakeholder consultation survey exports into stakeholder comparison reports.",
        discussion: """
            Exit codes: 0 done; 1 failed (nothing half-written); 2 usage or configuration error; \
            3 done, but rows were rejected or labels need a person.
            """,
        version: version,
        subcommands: [
            Inspect.self, Check.self, Import.self, Batches.self, Rollback.self, Report.self, Run.self, Synth.self,
            Explain.self, Init.self, AgreementCommand.self, Review.self,
        ]
    )

    /// As ParsableCommand's `main`, with one difference: a usage error (an unknown option, a missing
    /// argument) exits 2 as the documented contract says, not ArgumentParser's 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { Terminal.err(message) }
            Foundation.exit(Exit.usage)
        }
    }
}
