/// Where a run is in its life.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// Stored, not started.
    case created
    /// Rounds are being recorded.
    case running
    /// All rounds done; `finalSHA256` names the final model.
    case finished
    /// Stopped by an error; `RunRecord.error` says which.
    case failed
    /// Stopped from outside (signal, killed process); resumable from the latest checkpoint.
    case interrupted

    /// Whether the run has stopped (finished, failed or interrupted).
    public var isTerminal: Bool {
        switch self {
        case .created, .running: return false
        case .finished, .failed, .interrupted: return true
        }
    }
}

/// What produced a run. An open set: the common kinds are constants, others are any string.
public struct RunKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `foedus simulate`: one in-process simulation.
    public static let simulate = RunKind(rawValue: "simulate")
    /// One configuration of a `foedus sweep`.
    public static let sweepMember = RunKind(rawValue: "sweep-member")
    /// `foedus server`: a deployed server with remote clients.
    public static let server = RunKind(rawValue: "server")

    public var description: String { rawValue }
}

/// One row of the `runs` table: a run's identity, configuration and progress.
public struct RunRecord: Sendable, Codable, Equatable {
    /// Unique id chosen by the caller (e.g. a timestamped name).
    public var id: String
    /// Human-readable name (e.g. the experiment name from the config).
    public var name: String
    public var kind: RunKind
    /// The configuration exactly as the user wrote it.
    public var configYAML: String
    /// The validated configuration as JSON; must be valid JSON text.
    public var configJSON: String
    /// Root random seed. Stored as the SQLite INTEGER with the same bit pattern (`Int64(bitPattern:)`).
    public var seed: UInt64
    /// Version of the code that ran it (e.g. a git commit).
    public var codeVersion: String
    public var status: RunStatus
    /// Seconds since 1970.
    public var createdAt: Double
    /// Seconds since 1970 of the last status change or recorded round.
    public var updatedAt: Double
    /// Seconds since 1970 when the run reached a terminal status, else nil.
    public var finishedAt: Double?
    /// Number of rounds the run is configured for.
    public var totalRounds: Int
    /// Why the run failed or was interrupted, else nil.
    public var error: String?
    /// sha256 (lowercase hex) of the final model, once finished.
    public var finalSHA256: String?

    /// Makes a record; `updatedAt` defaults to `createdAt`.
    public init(
        id: String,
        name: String,
        kind: RunKind,
        configYAML: String,
        configJSON: String,
        seed: UInt64,
        codeVersion: String,
        status: RunStatus = .created,
        createdAt: Double,
        updatedAt: Double? = nil,
        finishedAt: Double? = nil,
        totalRounds: Int,
        error: String? = nil,
        finalSHA256: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.configYAML = configYAML
        self.configJSON = configJSON
        self.seed = seed
        self.codeVersion = codeVersion
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.finishedAt = finishedAt
        self.totalRounds = totalRounds
        self.error = error
        self.finalSHA256 = finalSHA256
    }
}
