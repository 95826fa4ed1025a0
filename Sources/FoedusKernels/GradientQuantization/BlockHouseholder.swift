/// The block Householder transform `T` of the BHQ gradient quantizer (Chen et al. 2020,
/// StatQuant `get_transform`) for one set of per-row ranges, built in Float64:
/// `T = P · blockdiag(H_n) · diag(s) · Pᵀ`.
///
/// Rows are sorted by range; the `leaderCount` largest rows lead one block each and the
/// `smallCount` others are shared among the leaders (larger leaders get more, and larger,
/// small rows). Inside a block of size `n` (leader first) the rows are scaled by `s` and then
/// reflected by `H_n = I − 2vvᵀ`, `v ∝ 𝟙/√n − e₁`, which spreads the leader's content evenly
/// over the block, so a per-row quantizer applied to `T·x` no longer pays the leader's range
/// on every small row. `T⁻¹ = P · diag(1/s) · blockdiag(H_n) · Pᵀ` (each `H_n` is symmetric and
/// orthogonal).
///
/// Special cases (the reference's strict stopping rule has none): 0 rows is empty; 1 row is
/// the identity; 2 rows always form one block of size 2 (the ratio test ties at exactly 1 and
/// the reference would run past the end). With `rows ≥ 2` every block has size ≥ 2.
public struct BlockHouseholder: Sendable {
    /// Number of rows `N` of the matrices the transform applies to.
    public let rows: Int
    /// Number of blocks, one per leader (`G_big`).
    public let leaderCount: Int
    /// Number of non-leader rows `k`; ``allocation`` sums to it.
    public let smallCount: Int
    /// Small rows given to each leader, in leader order (largest range first); sums to
    /// ``smallCount``.
    public let allocation: [Int]
    /// Original row indices block by block, each block's leader first and its small rows in
    /// decreasing range order. A permutation of `0 ..< rows`.
    public let members: [Int]
    /// The scale `s` of each original row (index = row), applied before the reflection.
    public let scales: [Double]

    /// Index into ``members`` where each block starts, plus `members.count` at the end.
    let blockStarts: [Int]
    /// `scales` and `1/scales` rounded to Float for ``apply(_:cols:into:)``.
    let scalesFloat: [Float]
    let inverseScalesFloat: [Float]

    /// Sizes of the blocks, in leader order: `allocation[i] + 1`.
    public var blockSizes: [Int] { allocation.map { $0 + 1 } }
}
