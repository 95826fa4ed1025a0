import Foundation
import FoedusKernels

/// A floating-point scalar the tensor kernels are specialised for (`Float`, `Double`).
public typealias TensorFloat = KernelFloat & TensorElement

extension Tensor {
    /// Read pointer for kernels; valid while the tensor value is alive (callers keep it in scope).

    func pointer<T: TensorElement>(_ type: T.Type) -> UnsafePointer<T> {
        UnsafePointer(storage.raw.assumingMemoryBound(to: T.self))
    }

    /// A new tensor filled by `fill`, keeping `inputs` alive while it runs.

    static func compute<T: TensorElement>(_ shape: [Int], _ type: T.Type, keeping inputs: [Tensor], _ fill: (UnsafeMutablePointer<T>) -> Void) -> Tensor {
        let out = Tensor.uninitialized(shape: shape, dtype: T.dtype)
        withExtendedLifetime(inputs) { fill(out.storage.raw.assumingMemoryBound(to: T.self)) }
        return out
    }

    /// Traps with a message naming `op` when the tensor is not floating-point.
    func requireFloat(_ op: String) -> Never {
        preconditionFailure("[\(op)] needs a floating-point tensor, got \(dtype) \(Shape.describe(shape))")
    }

    static func checkSameFloat(_ a: Tensor, _ b: Tensor, _ op: String) {
        precondition(a.dtype == b.dtype && a.dtype.isFloatingPoint,
                     "[\(op)] dtypes \(a.dtype) and \(b.dtype): both must be the same floating-point type")
    }

    /// True when both tensors have identical dtype, shape and bytes.
    public func bitwiseEqual(_ other: Tensor) -> Bool {
        guard dtype == other.dtype, shape == other.shape else { return false }
        return withExtendedLifetime((self, other)) {
            memcmp(storage.raw, other.storage.raw, scalarCount * dtype.byteSize) == 0
        }
    }
}
