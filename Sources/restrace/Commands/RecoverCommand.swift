import ArgumentParser
import Capture
import Foundation

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Close torn files and drop corrupt chunks, keeping every intact message; say what was lost.",
        discussion: """
        Examples:
          restrace recover capture/

        Each damaged file is rewritten into a temporary file and renamed over the original; intact files \
        are not touched. A file that is not MCAP at all (its first bytes are not the MCAP magic) is left \
        as it is and reported, with exit status 3. On a capture that is being recorded, the file the \
        recorder has open is left alone (with a message) and the others are repaired.
        """)

    @Argument(help: "Capture directories or .mcap files.") var captures: [String]

    func run() throws {
        var leftAlone = 0
        for capture in captures {
            for r in try CaptureRecovery.recover(path: capture) {
                let name = (r.path as NSString).lastPathComponent
                if let writer = r.inUseBy {
                    print("\(name): being written by \(writer); left alone (recover it once that writer has stopped)")
                    continue
                }
                if let reason = r.notRecoverable {
                    print("\(reason); left as it is")
                    leftAlone += 1
                    continue
                }
                if r.fromJournal {
                    print("\(name): \(r.messagesKept) messages that a killed recorder had received, from its journal")
                    continue
                }
                guard r.rewritten else { print("\(name): intact, \(r.messagesKept) messages"); continue }
                print("\(name): recovered \(r.messagesKept) messages; lost at least \(r.messagesLost) messages "
                      + "(\(r.chunksDropped) corrupt chunks dropped, \(r.bytesCut) torn bytes cut)")
                for p in r.problems { print("  \(p)") }
            }
        }
        if leftAlone > 0 { throw ExitCode(3) }
    }
}
