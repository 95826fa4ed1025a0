import FoedusTensor

/// Gradient diversity (Yin et al. 2018, as used by SSFL): `(1/n) Σᵢ ‖gᵢ‖² / ‖ḡ‖²` with
/// `ḡ = (1/n) Σᵢ gᵢ`. It is 1 when all gradients agree and n when they are orthogonal with equal
/// norms.
public enum GradientDiversity {
    /// - Parameters:
    ///   - gradients: one parameter set per client (same names).
    ///   - excluding: parameters whose name contains any of these substrings are left out (SSFL
    ///     excludes normalisation parameters: `["bn", "gn"]`).
    /// - Returns: nil when fewer than one gradient or the mean gradient is zero.
    public static func compute(_ gradients: [ParameterSet], excluding: [String] = []) -> Double? {
        guard let first = gradients.first else { return nil }
        let keep = first.names.enumerated().filter { n in !excluding.contains { n.element.contains($0) } }.map(\.offset)
        var sumOfSquares = 0.0
        var meanSquares = 0.0
        for i in keep {
            var total: Tensor?
            for g in gradients {
                let t = g.tensors[i].detached.cast(to: .float64)
                sumOfSquares += (t * t).sum().item
                total = total.map { $0 + t } ?? t
            }
            let mean = total! * (1 / Double(gradients.count))
            meanSquares += (mean * mean).sum().item
        }
        guard meanSquares > 0 else { return nil }
        return (sumOfSquares / Double(gradients.count)) / meanSquares
    }
}
