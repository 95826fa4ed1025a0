import FoedusKernels
import FoedusTensor

/// Which view of an example a batch holds.
public enum View: String, Sendable {
    /// Normalisation only (evaluation).
    case plain
    /// Weak augmentation (crop, optional flip).
    case weak
    /// Weak followed by RandAugment and Cutout.
    case strong
}

/// Builds normalised input batches of dataset examples in a given view. Augmentation draws for
/// example `i` come from `key.derived(i)`, so a batch is the same whichever thread builds it.
public protocol ViewMaker: Sendable {
    /// `[B, C, H, W]` float32 inputs for the examples at `indices`.
    func batch(_ indices: [Int], view: View, key: RandomKey) -> Tensor
    /// int32 `[B]` labels of the examples at `indices`.
    func labels(_ indices: [Int]) -> Tensor
}
