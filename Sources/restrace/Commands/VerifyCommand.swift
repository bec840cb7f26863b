import ArgumentParser
import Capture
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every file and CRC of a capture; exit 3 and list what is torn or corrupt.",
        discussion: """
        Examples:
          restrace verify capture/
          restrace verify capture/000007.mcap && echo intact

        Prints one line per problem: file, byte offset, what is wrong. A file still being recorded has \
        no summary yet and is reported as torn.
        """)

    @Argument(help: "Capture directories or .mcap files.") var captures: [String]

    func run() throws {
        var damaged = 0, files = 0, messages: UInt64 = 0
        for capture in captures {
            for report in try CaptureVerifier.verify(path: capture) {
                files += 1
                messages += report.messages
                if report.problems.isEmpty && report.closedCleanly { continue }
                damaged += 1
                for p in report.problems { print(p.description) }
            }
        }
        print("\(files) files, \(messages) intact messages, \(damaged) damaged")
        if damaged > 0 { throw ExitCode(3) }
    }
}
