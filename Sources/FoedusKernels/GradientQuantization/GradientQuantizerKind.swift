/// Which stochastic quantizer fully quantized training (FQT) applies to the output gradient `G`
/// of a convolution or linear layer (Chen et al. 2020, "A Statistical Framework for
/// Low-bitwidth Training of Deep Neural Networks").
///
/// - ``ptq``: per-tensor range containing 0, zero point aligned (``GradientQuantizer/perTensor(_:rows:cols:bits:key:)``).
/// - ``psq``: per-sample (row) or per-feature (column) ranges (``GradientQuantizer/perGroup(_:rows:cols:bits:grouping:key:)``).
/// - ``bhq``: block Householder transform, then per-row ranges
///   (``GradientQuantizer/blockHouseholder(_:rows:cols:bits:key:)``).
public enum GradientQuantizerKind: String, Sendable, CaseIterable {
    /// Per-tensor quantizer.
    case ptq
    /// Per-sample (per-group) quantizer.
    case psq
    /// Block Householder quantizer.
    case bhq
}
