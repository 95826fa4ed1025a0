import FoedusTensor

/// A layer's complete state: trainable parameters and buffers, each an ordered named set whose
/// names match PyTorch's `state_dict` for the equivalent module.
public struct ModelState: Sendable, Equatable {
    public var parameters: ParameterSet
    public var buffers: ParameterSet

    public init(parameters: ParameterSet, buffers: ParameterSet) {
        self.parameters = parameters
        self.buffers = buffers
    }

    /// Freshly initialised state of `layer`, deterministic in `key`.
    public init(_ layer: any Layer, key: RandomKey, dtype: DType = .float32) {
        var b = ParameterBuilder(key: key, dtype: dtype)
        layer.declare(into: &b)
        self.init(parameters: b.parameters, buffers: b.buffers)
    }

    /// Parameters followed by buffers, as one set (the `state_dict`).
    public var stateDict: ParameterSet {
        var all = parameters
        for (n, t) in buffers.pairs { all.append(n, t) }
        return all
    }

    /// Takes the tensors of `stateDict` whose names this state declares, checking that every
    /// name is present with the same shape and dtype.
    public func loading(_ stateDict: ParameterSet) throws -> ModelState {
        let template = self.stateDict
        // Foreign tensors are reported first: they name the mismatch (e.g. bn1 in a GN model).
        if let extra = stateDict.names.first(where: { template[$0] == nil }) { throw FoedusNNError.unexpectedTensor(name: extra) }
        let checked = try SafeTensors.conform(stateDict, to: template)
        let split = parameters.count
        return ModelState(parameters: parameters.replacingTensors(Array(checked.tensors[..<split])),
                          buffers: buffers.replacingTensors(Array(checked.tensors[split...])))
    }
}
