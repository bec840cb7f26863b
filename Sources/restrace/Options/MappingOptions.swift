import ArgumentParser

/// `--map-product OLD=NEW`, `--map-device OLD=NEW`: products and devices renamed (in `replay`'s
/// published topics, in `diff`'s baseline).
struct MappingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Rename product OLD to NEW (repeatable).", valueName: "OLD=NEW")) var mapProduct: [String] = []
    @Option(help: ArgumentHelp("Rename device OLD to NEW (repeatable).", valueName: "OLD=NEW")) var mapDevice: [String] = []

    func validate() throws {
        _ = try products()
        _ = try devices()
    }

    func products() throws -> [String: String] { try Self.pairs(mapProduct, "--map-product") }
    func devices() throws -> [String: String] { try Self.pairs(mapDevice, "--map-device") }

    /// `OLD=NEW` pairs; NEW must be a single topic level without wildcards.
    static func pairs(_ items: [String], _ option: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  !parts[1].contains("/"), !hasWildcard(parts[1]) else {
                throw ValidationError("\(option) expects OLD=NEW, got '\(item.cutForMessage())'")
            }
            out[String(parts[0])] = String(parts[1])
        }
        return out
    }
}
