import FoedusTensor

/// An aggregation rule: how much each update weighs in a (group) average. Pure: it sees
/// ``ClientUpdate`` values, never sockets or threads.
public protocol Strategy: Sendable {
    var name: String { get }
    /// Non-negative weight of `update` in the average of its group.
    func weight(of update: ClientUpdate) -> Double
    /// The coefficient μ of the proximal term μ/2‖w − w_global‖² clients add (0: none).
    var proximalMu: Double { get }
}

/// Federated averaging: uniform weights (SSFL's rule, the server counting as one client) or
/// weights proportional to the number of examples (McMahan et al.).
public struct FedAvg: Strategy {
    public enum Weighting: String, Sendable { case uniform, examples }
    public let weighting: Weighting

    public init(weighting: Weighting = .uniform) { self.weighting = weighting }

    public var name: String { "fedavg-\(weighting.rawValue)" }
    public var proximalMu: Double { 0 }

    public func weight(of update: ClientUpdate) -> Double {
        weighting == .uniform ? 1 : Double(update.examples)
    }
}

/// FedProx (Li et al. 2020): FedAvg aggregation; clients minimise their loss plus
/// μ/2‖w − w_global‖².
public struct FedProx: Strategy {
    public let mu: Double
    public let weighting: FedAvg.Weighting

    public init(mu: Double, weighting: FedAvg.Weighting = .uniform) {
        precondition(mu >= 0, "[FedProx] μ must be non-negative, got \(mu)")
        self.mu = mu
        self.weighting = weighting
    }

    public var name: String { "fedprox" }
    public var proximalMu: Double { mu }
    public func weight(of update: ClientUpdate) -> Double { FedAvg(weighting: weighting).weight(of: update) }
}
