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
        func take(_ set: ParameterSet) throws -> ParameterSet {
            try set.map { _ in Tensor(0) }.replacingTensors(set.names.enumerated().map { i, name in
                guard let t = stateDict[name] else { throw FoedusNNError.missingTensor(name: name) }
                let expected = set.tensors[i]
                guard t.shape == expected.shape else { throw FoedusNNError.shapeMismatch(name: name, expected: expected.shape, found: t.shape) }
                guard t.dtype == expected.dtype else { throw FoedusNNError.dtypeMismatch(name: name, expected: expected.dtype, found: t.dtype) }
                return t
            })
        }
        let known = Set(parameters.names + buffers.names)
        if let extra = stateDict.names.first(where: { !known.contains($0) }) { throw FoedusNNError.unexpectedTensor(name: extra) }
        return ModelState(parameters: try take(parameters), buffers: try take(buffers))
    }
}
