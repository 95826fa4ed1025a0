import FoedusTensor

/// What a client returns after local training: its parameters, how many examples it used and
/// local metrics. Free of any transport.
public struct ClientUpdate: Sendable {
    /// Client id (users 0..<K; server replicas negative).
    public var client: Int
    public var parameters: ParameterSet
    public var examples: Int
    public var metrics: [String: Double]

    public init(client: Int, parameters: ParameterSet, examples: Int, metrics: [String: Double] = [:]) {
        self.client = client
        self.parameters = parameters
        self.examples = examples
        self.metrics = metrics
    }
}
