import Foundation

/// The floating-point scalars the tensor kernels are written for: `Float` (training) and
/// `Double` (gradient checks, Hessian tools).
///
/// The transcendental functions are requirements rather than free functions so that generic
/// kernels specialise to the libm routine of the concrete type.
public protocol KernelFloat: BinaryFloatingPoint, SIMDScalar, Sendable, CustomStringConvertible
{
    static func kExp(_ x: Self) -> Self
    static func kLog(_ x: Self) -> Self
    static func kSqrt(_ x: Self) -> Self
    static func kTanh(_ x: Self) -> Self
    static func kErf(_ x: Self) -> Self
    static func kPow(_ x: Self, _ y: Self) -> Self
}

extension Float: KernelFloat {
    @inlinable public static func kExp(_ x: Float) -> Float { Foundation.exp(x) }
    @inlinable public static func kLog(_ x: Float) -> Float { Foundation.log(x) }
    @inlinable public static func kSqrt(_ x: Float) -> Float { x.squareRoot() }
    @inlinable public static func kTanh(_ x: Float) -> Float { Foundation.tanh(x) }
    @inlinable public static func kErf(_ x: Float) -> Float { Foundation.erf(x) }
    @inlinable public static func kPow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: KernelFloat {
    @inlinable public static func kExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func kLog(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func kSqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable public static func kTanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func kErf(_ x: Double) -> Double { Foundation.erf(x) }
    @inlinable public static func kPow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
