/// How a ``FederationServer`` listens, waits and defends itself.
public struct ServerOptions: Sendable {
    /// Endpoint to bind (`tcp://0.0.0.0:5555`, `tcp://127.0.0.1:*`, `ipc:///tmp/foedus.sock`).
    public var bind: String
    /// Registered clients needed before the first round starts.
    public var minClients: Int
    /// Seconds to wait for `minClients` before giving up.
    public var registrationTimeout: Double
    /// Seconds a round waits for its users' updates before aggregating without the stragglers.
    public var roundDeadline: Double
    /// Fraction of a round's users whose updates must arrive before aggregating (0...1). Below it,
    /// the round keeps waiting (clients may reconnect) up to `roundTimeout`.
    public var quorum: Double
    /// Seconds after which a round below quorum fails the run.
    public var roundTimeout: Double
    /// Heartbeat interval told to clients; a client silent for 3 intervals without a task is dropped.
    public var heartbeatMillis: UInt32
    /// Malformed messages accepted from one peer before it is disconnected.
    public var maxMalformedPerPeer: Int
    public var limits: WireLimits
    /// Flow control: at most this many fit instructions outstanding at once (0: all of a round's
    /// users at once). Bounds the server's memory for updates in flight to `maxInFlight` models.
    public var maxInFlight: Int = 0
    /// CURVE: the server's key pair and the public keys of the clients allowed in (nil: plain TCP).
    public var curve: (keys: CurveKeyPair, allowed: [String])?

    public init(bind: String, minClients: Int = 1, registrationTimeout: Double = 300, roundDeadline: Double = 600, quorum: Double = 0.5,
                roundTimeout: Double = 3600, heartbeatMillis: UInt32 = 2000, maxMalformedPerPeer: Int = 16, limits: WireLimits = WireLimits(),
                curve: (keys: CurveKeyPair, allowed: [String])? = nil) {
        self.bind = bind
        self.minClients = minClients
        self.registrationTimeout = registrationTimeout
        self.roundDeadline = roundDeadline
        self.quorum = quorum
        self.roundTimeout = roundTimeout
        self.heartbeatMillis = heartbeatMillis
        self.maxMalformedPerPeer = maxMalformedPerPeer
        self.limits = limits
        self.curve = curve
    }
}

/// Counters a server keeps about its traffic (shown in logs and benchmarks).
public struct ServerStatistics: Sendable, Equatable {
    public var messagesIn = 0
    public var bytesIn = 0
    public var bytesOut = 0
    public var malformed = 0
    public var rejected = 0
    public var updates = 0
    public var stragglers = 0
    public var disconnected = 0
}
