import FoedusTensor

extension SafeTensors {
    /// `loaded` reordered as `template` (a model's current parameters), after checking that
    /// both have the same names and that each tensor has the template's shape and dtype.
    ///
    /// Problems are reported in template order, then extra tensors in `loaded` order.
    ///
    /// - Throws: ``FoedusNNError/missingTensor(name:)``, ``FoedusNNError/shapeMismatch(name:expected:found:)``,
    ///   ``FoedusNNError/dtypeMismatch(name:expected:found:)``, ``FoedusNNError/unexpectedTensor(name:)``.
    /// - Complexity: O(number of tensors); no tensor data are copied.
    public static func conform(_ loaded: ParameterSet, to template: ParameterSet) throws -> ParameterSet {
        var out = ParameterSet()
        for (name, expected) in template.pairs {
            guard let found = loaded[name] else { throw FoedusNNError.missingTensor(name: name) }
            guard found.shape == expected.shape else {
                throw FoedusNNError.shapeMismatch(name: name, expected: expected.shape, found: found.shape)
            }
            guard found.dtype == expected.dtype else {
                throw FoedusNNError.dtypeMismatch(name: name, expected: expected.dtype, found: found.dtype)
            }
            out.append(name, found)
        }
        if let extra = loaded.names.first(where: { template[$0] == nil }) {
            throw FoedusNNError.unexpectedTensor(name: extra)
        }
        return out
    }

    /// The tensors of the safetensors file at `path`, checked against and ordered as
    /// `template` (see ``conform(_:to:)``), and its metadata.
    public static func read(path: String, matching template: ParameterSet) throws -> (tensors: ParameterSet, metadata: [String: String]) {
        let (tensors, metadata) = try read(path: path)
        return (try conform(tensors, to: template), metadata)
    }
}
