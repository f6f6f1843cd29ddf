import ArgumentParser

@main
struct Baraza: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "baraza",
        abstract: "Turn multistakeholder consultation survey exports into stakeholder comparison reports.",
        discussion: """
        Exit codes: 0 done; 1 failed (nothing half-written); 2 usage or configuration error; \
        3 done, but rows were rejected or labels need a person.
        """,
        version: version,
        subcommands: [Inspect.self, Check.self, Import.self, Batches.self, Rollback.self, Report.self, Run.self, Synth.self, Explain.self,
                      Init.self, AgreementCommand.self, Review.self]
    )
}
