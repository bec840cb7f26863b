/// What both stores' schemas share.
enum ProjectionSchema {
    /// Bumped whenever the reducer or the schema changes: a projection of another version is rebuilt.
    static let version: Int32 = 10
}
