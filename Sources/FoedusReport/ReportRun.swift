/// One federated-learning run as the report sees it: identity, configuration and per-round metrics.
///
/// A plain value assembled by the caller (typically from `FoedusStore`); the report never reads a
/// database itself, so this type is the whole contract between the store and the report.
public struct ReportRun: Sendable, Equatable {
    /// Unique run id; used as the run's label in plots and tables.
    public var id: String
    /// Configuration name (e.g. the experiment name).
    public var name: String
    /// Training method, e.g. `"grouping"`, `"fedavg"`, `"labeled-only"`; the sweep plot draws one line per method.
    public var method: String
    /// Configuration parameters as written, e.g. `["R": "0.4", "seed": "1", "model": "cnn-gn", "K": "10"]`.
    public var parameters: [String: String]
    /// Run status as stored (e.g. `"finished"`, `"failed"`).
    public var status: String
    /// Recorded rounds, in order.
    public var rounds: [ReportRound]
    /// Class counts per user (`userHistograms[user][class]`), when known.
    public var userHistograms: [[Int]]?
    /// Class counts of the server's labeled set, when known.
    public var serverHistogram: [Int]?
    /// sha256 (hex) of the final model, once finished.
    public var finalSHA256: String?

    /// Makes a run; everything but the identity and method has an empty default.
    public init(
        id: String,
        name: String,
        method: String,
        parameters: [String: String] = [:],
        status: String = "",
        rounds: [ReportRound] = [],
        userHistograms: [[Int]]? = nil,
        serverHistogram: [Int]? = nil,
        finalSHA256: String? = nil
    ) {
        self.id = id
        self.name = name
        self.method = method
        self.parameters = parameters
        self.status = status
        self.rounds = rounds
        self.userHistograms = userHistograms
        self.serverHistogram = serverHistogram
        self.finalSHA256 = finalSHA256
    }
}

/// One recorded round of a run.
public struct ReportRound: Sendable, Equatable {
    /// Round number (1-based by convention; any increasing integers work).
    public var round: Int
    /// Wall-clock duration of this round in seconds; a run's wall time is the sum over its rounds.
    public var seconds: Double
    /// Metrics measured in this round, e.g. `test_accuracy` (a fraction in 0...1), `test_loss`,
    /// `user_loss`, `server_loss`, `user_mask_rate`, `user_pseudo_label_accuracy`.
    /// A metric that was not measured this round is simply absent.
    public var metrics: [String: Double]

    /// Makes a round.
    public init(round: Int, seconds: Double, metrics: [String: Double] = [:]) {
        self.round = round
        self.seconds = seconds
        self.metrics = metrics
    }
}
