import ArgumentParser
import Foundation
import Projection

/// `--db-password-file`: the password of a `postgres://` projection, read from a file so that it
/// never appears on the command line (or from RESTRACE_DB_PASSWORD, or libpq's own ~/.pgpass).
struct DatabasePasswordOption: ParsableArguments {
    @Option(help: ArgumentHelp("A file holding the PostgreSQL password of a postgres:// --db (or set RESTRACE_DB_PASSWORD).",
                               valueName: "file"))
    var dbPasswordFile: String?

    /// Makes the file's password the one `--db` connects with.
    func apply() throws {
        guard let dbPasswordFile else { return }
        guard let text = try? String(contentsOfFile: dbPasswordFile, encoding: .utf8) else {
            throw ValidationError("cannot read --db-password-file \(dbPasswordFile)")
        }
        setenv(ProjectionDatabase.passwordVariable, text.trimmingCharacters(in: .newlines), 1)
    }
}
