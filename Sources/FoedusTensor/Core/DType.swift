/// The element type of a ``Tensor``.
public enum DType: String, Sendable, Hashable, CustomStringConvertible {
    /// IEEE binary32: the training precision.
    case float32
    /// IEEE binary64: gradient checks and Hessian tools.
    case float64
    /// Signed 32-bit integers: labels and gather/scatter indices (not differentiable).
    case int32

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64: return 8
        }
    }

    public var isFloatingPoint: Bool { self != .int32 }

    public var description: String { rawValue }
}

/// A Swift scalar type that a tensor can hold.
public protocol TensorElement: Sendable {
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
