/// A split of a training set between the server's labeled set and the users' local sets.
///
/// Both hold indices into the training set. A partitioner never puts an index in two places;
/// indices it could not deal out evenly (floor remainders) are in neither.
public struct Partition: Sendable, Equatable {
    /// The server's labeled examples, ascending.
    public var server: [Int]
    /// `users[k]` holds user `k`'s (unlabeled) examples, in the order the partitioner left them.
    public var users: [[Int]]

    /// Creates a partition from its parts (no checks).
    public init(server: [Int], users: [[Int]]) {
        self.server = server
        self.users = users
    }

    /// Number of users, `users.count`.
    public var userCount: Int { users.count }

    /// Number of user examples, summed over users.
    public var userExampleCount: Int { users.reduce(0) { $0 + $1.count } }

    /// Number of indices placed anywhere: `server.count + userExampleCount`.
    public var assignedCount: Int { server.count + userExampleCount }
}
