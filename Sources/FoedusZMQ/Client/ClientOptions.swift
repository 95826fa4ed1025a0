/// Where a client's local training data comes from.
public enum ClientData: Sendable, Equatable {
    /// User `user` of the run's own partition of its dataset (demos and simulations spread over
    /// machines: every process derives the same partition from the run's seed).
    case partition(user: Int)
    /// The client's own images (an IDX file, optionally gzipped, of the run's image geometry),
    /// with labels for the supervised objective.
    case files(images: String, labels: String?)
}

/// How clients connect and behave.
public struct ClientOptions: Sendable {
    /// Server endpoint (`tcp://host:5555`, `ipc:///path`).
    public var endpoint: String
    /// Name reported in hello (a pool appends `/user`).
    public var name: String
    /// CURVE: the server's public key and this client's key pair (nil: plain TCP).
    public var curve: (serverPublicKey: String, keys: CurveKeyPair)?
    /// Reconnect backoff: first delay, doubling up to the maximum (seconds).
    public var backoffInitial: Double
    public var backoffMax: Double
    /// Give up after this many seconds without reaching the server (nil: never).
    public var giveUpAfter: Double?
    /// Replace the connection after this many seconds without a word from the server.
    public var reconnectAfter: Double = 30
    /// Worker threads training tasks (a pool's clients share them).
    public var workers: Int
    /// Benchmark mode: answer every fit with the start model unchanged (no training, no data).
    public var echo: Bool
    public var limits: WireLimits

    public init(endpoint: String, name: String = "foedus-client", curve: (serverPublicKey: String, keys: CurveKeyPair)? = nil,
                backoffInitial: Double = 0.25, backoffMax: Double = 8, giveUpAfter: Double? = 600, workers: Int = 1, echo: Bool = false,
                limits: WireLimits = WireLimits()) {
        self.endpoint = endpoint
        self.name = name
        self.curve = curve
        self.backoffInitial = backoffInitial
        self.backoffMax = backoffMax
        self.giveUpAfter = giveUpAfter
        self.workers = workers
        self.echo = echo
        self.limits = limits
    }
}

/// What a client (or a pool) did, returned when the server ends the run.
public struct ClientSummary: Sendable, Equatable {
    public var tasks = 0
    public var bytesIn = 0
    public var bytesOut = 0
    public var reconnects = 0
    public var finishedSessions = 0
}
