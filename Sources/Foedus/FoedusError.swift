/// Errors of the federated core: configuration, data and run-state problems, each naming the
/// field, file or run it concerns.
public enum FoedusError: Error, CustomStringConvertible, Equatable {
    /// A configuration field is missing, of the wrong type or out of range; `path` is dotted
    /// (`federation.rounds`).
    case invalidConfig(path: String, reason: String)
    /// The configuration has a field this version does not know.
    case unknownConfigField(path: String, known: [String])
    /// The configuration text is not valid YAML.
    case malformedConfig(source: String, reason: String)
    /// A `--set key=value` override could not be applied.
    case invalidOverride(String, reason: String)
    /// A checkpoint could not be restored.
    case badCheckpoint(runID: String, round: Int, reason: String)
    /// The data cannot support the configured run (e.g. a user with no examples).
    case dataProblem(String)

    public var description: String {
        switch self {
        case let .invalidConfig(path, reason): return "config field '\(path)': \(reason)"
        case let .unknownConfigField(path, known): return "unknown config field '\(path)' (known here: \(known.sorted().joined(separator: ", ")))"
        case let .malformedConfig(source, reason): return "\(source): not valid YAML: \(reason)"
        case let .invalidOverride(text, reason): return "override '\(text)': \(reason)"
        case let .badCheckpoint(runID, round, reason): return "run \(runID): checkpoint of round \(round) cannot be restored: \(reason)"
        case let .dataProblem(text): return text
        }
    }
}
