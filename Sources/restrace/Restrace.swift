import ArgumentParser

@main
struct Restrace: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "restrace",
        abstract: "Record, project, report and replay $resource transfer traffic of IoT devices.",
        version: version,
        subcommands: []
    )
}
