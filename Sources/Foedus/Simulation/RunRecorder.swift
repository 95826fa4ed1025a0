/// What one client (or server replica) reported for one round.
public struct ClientResultSummary: Sendable, Codable, Equatable {
    /// Client id (0-based user index; server replicas are negative: −1, −2, …).
    public var client: Int
    /// Examples processed in the round's local steps.
    public var examples: Int
    /// Local metrics (e.g. `loss`, `mask_rate`).
    public var metrics: [String: Double]
    /// Wall time of the local work in seconds.
    public var seconds: Double

    public init(client: Int, examples: Int, metrics: [String: Double], seconds: Double) {
        self.client = client
        self.examples = examples
        self.metrics = metrics
        self.seconds = seconds
    }
}

/// One finished round.
public struct RoundSummary: Sendable, Codable, Equatable {
    /// 1-based round number.
    public var round: Int
    /// Participating client ids, in sampling order.
    public var participants: [Int]
    /// Round metrics (e.g. `test_accuracy`, `test_loss`, `train_loss`, `gradient_diversity`).
    public var metrics: [String: Double]
    /// Wall-clock start (seconds since 1970) and duration of the round.
    public var startedAt: Double
    public var seconds: Double
    /// Per-client results, in participant order.
    public var clients: [ClientResultSummary]

    public init(round: Int, participants: [Int], metrics: [String: Double], startedAt: Double, seconds: Double, clients: [ClientResultSummary]) {
        self.round = round
        self.participants = participants
        self.metrics = metrics
        self.startedAt = startedAt
        self.seconds = seconds
        self.clients = clients
    }
}

/// The complete state needed to continue a run after `round`, serialised as a safetensors blob.
public struct Checkpoint: Sendable, Equatable {
    /// The last round whose effects the checkpoint contains.
    public var round: Int
    /// safetensors bytes.
    public var blob: [UInt8]

    public init(round: Int, blob: [UInt8]) {
        self.round = round
        self.blob = blob
    }
}

/// Persists a run's progress (implemented by FoedusStore's SQLite store; tests use memory).
///
/// `record` must be atomic: after a crash either the round and its checkpoint are both stored or
/// neither is, so a resumed run restarts exactly after the last committed round.
public protocol RunRecorder: Sendable {
    /// Stores a finished round and, when given, the checkpoint taken after it, in one transaction.
    func record(runID: String, round: RoundSummary, checkpoint: Checkpoint?) throws
    /// The newest checkpoint of the run, or nil.
    func latestCheckpoint(runID: String) throws -> Checkpoint?
    /// Rounds already recorded, in order.
    func rounds(runID: String) throws -> [RoundSummary]
}
