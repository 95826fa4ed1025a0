import FoedusKernels

/// Uniform sampling of `C_k` of `K` clients without replacement, in random order, as a pure
/// function of `(key, round)`.
public struct ClientSampler: Sendable, Equatable {
    public let clients: Int, perRound: Int
    public let key: RandomKey

    /// - Precondition: `1 ≤ perRound ≤ clients`.
    public init(clients: Int, perRound: Int, key: RandomKey) {
        precondition(perRound >= 1 && perRound <= clients, "[ClientSampler] \(perRound) of \(clients)")
        self.clients = clients
        self.perRound = perRound
        self.key = key
    }

    /// Participants of `round` (1-based), in slot order.
    public func sample(round: Int) -> [Int] {
        var stream = RandomStream(key: key.derived(UInt64(round)))
        return Array(stream.permutation(clients).prefix(perRound))
    }
}
