import ArgumentParser
import Recorder
#if canImport(Glibc)
import Glibc
#endif

@main
struct Restrace: ParsableCommand {
    static let version = RecorderInfo.version
    static let configuration = CommandConfiguration(
        commandName: "restrace",
        abstract: "Record, project, report and replay the $resource transfer traffic of IoT devices.",
        discussion: """
        A capture is a directory of MCAP files. Typical session:
          restrace record --broker mqtt://127.0.0.1:1883 --out capture/
          restrace report summary capture/
          restrace report failures capture/ --format json

        Exit codes: 0 success, 1 runtime failure, 2 bad usage, 3 the data has a problem (reported), 4 a comparison found differences (diff).
        """,
        version: version,
        subcommands: [
            InfoCommand.self, CatCommand.self, ImportCommand.self, VerifyCommand.self, RecoverCommand.self,
            RecordCommand.self, ProjectCommand.self, ReportCommand.self, ReplayCommand.self, DiffCommand.self, TopCommand.self, CompactCommand.self, PruneCommand.self, SimulateCommand.self,
        ]
    )

    /// Runs the command line with the documented exit codes (docs/commands.md): bad usage exits 2 (not 64), and a
    /// runtime failure prints one line naming what failed and exits 1.
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            printError(fullMessage(for: error))
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
        do {
            var command = command
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch let error as ValidationError {
            printError("restrace: \(error.message)")
            Glibc.exit(2)
        } catch {
            // Help and usage errors raised while running (a root command has no run of its own).
            switch exitCode(for: error) {
            case .success: exit(withError: error)
            case .validationFailure:
                printError(fullMessage(for: error))
                Glibc.exit(2)
            default:
                printError("restrace: \(error)")
                Glibc.exit(1)
            }
        }
    }
}
