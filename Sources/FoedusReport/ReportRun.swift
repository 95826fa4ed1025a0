/// One run as a report shows it.
public struct ReportRun: Sendable, Equatable {
    public var id: String
    public var name: String
    public var method: String
    public var parameters: [String: String]
    public var status: String
    public var rounds: [ReportRound]
    public var userHistograms: [[Int]]?
    public var serverHistogram: [Int]?
    public var finalSHA256: String?

    public init(id: String, name: String, method: String, parameters: [String: String], status: String, rounds: [ReportRound],
                userHistograms: [[Int]]? = nil, serverHistogram: [Int]? = nil, finalSHA256: String? = nil) {
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

/// One round's metrics.
public struct ReportRound: Sendable, Equatable {
    public var round: Int
    public var seconds: Double
    public var metrics: [String: Double]

    public init(round: Int, seconds: Double, metrics: [String: Double]) {
        self.round = round
        self.seconds = seconds
        self.metrics = metrics
    }
}
