import FoedusKernels

/// The closed set of elementwise binary primitives (NumPy broadcasting).
enum BinaryOp: Sendable {
    case add, sub, mul, div, maximum, minimum
    case greater, greaterEqual, less, lessEqual, equal, notEqual
    /// `b > 0 ? a : 0`, differentiable in `a` only (the ReLU backward pass).
    case maskPositive

    var name: String {
        switch self {
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .maximum: "maximum"
        case .minimum: "minimum"
        case .greater: "greater"
        case .greaterEqual: "greaterEqual"
        case .less: "less"
        case .lessEqual: "lessEqual"
        case .equal: "equal"
        case .notEqual: "notEqual"
        case .maskPositive: "maskPositive"
        }
    }

    var kernel: BinaryKernelOp {
        switch self {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .maximum: .maximum
        case .minimum: .minimum
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .equal: .equal
        case .notEqual: .notEqual
        case .maskPositive: .maskPositive
        }
    }

    var isComparison: Bool {
        switch self {
        case .add, .sub, .mul, .div, .maximum, .minimum, .maskPositive: false
        default: true
        }
    }
}

extension Tensor {
    static func applyBinary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        checkSameFloat(a, b, op.name)
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("[\(op.name)] shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) do not broadcast")
        }
        switch a.dtype {
        case .float32: return binaryKernel(op, a, b, shape, Float.self)
        case .float64: return binaryKernel(op, a, b, shape, Double.self)
        case .int32: a.requireFloat(op.name)
        }
    }

    static func binaryKernel<T: TensorFloat>(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ shape: [Int], _: T.Type) -> Tensor {
        let sa = Shape.broadcastStrides(a.shape, to: shape), sb = Shape.broadcastStrides(b.shape, to: shape)
        return compute(shape, T.self, keeping: [a, b]) { o in
            ElementwiseKernels.binary(op.kernel, a.pointer(T.self), strides: sa, b.pointer(T.self), strides: sb, o, shape: shape)
        }
    }

    /// Records a binary primitive with its VJP; cotangents are summed back to each input's shape.
    static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        let y = applyBinary(op, a, b)
        if op.isComparison { return y }
        return Autodiff.record(y, op.name, [a, b]) { ctx in
            let g = ctx.cotangent, a = ctx.inputs[0], b = ctx.inputs[1]
            let ga: Tensor?, gb: Tensor?
            switch op {
            case .add: (ga, gb) = (g, g)
            case .sub: (ga, gb) = (g, -g)
            case .mul: (ga, gb) = (g * b, g * a)
            case .div: (ga, gb) = (g / b, -(g * a) / (b * b))
            case .maximum:
                let mask = a.isGreaterEqual(b).detached
                (ga, gb) = (g * mask, g * (1 - mask))
            case .minimum:
                let mask = a.isLessEqual(b).detached
                (ga, gb) = (g * mask, g * (1 - mask))
            case .maskPositive: (ga, gb) = (binary(.maskPositive, g, b.detached), nil)
            default: (ga, gb) = (nil, nil)
            }
            return [ga?.sum(toShape: a.shape), gb?.sum(toShape: b.shape)]
        }
    }

    /// A rank-0 tensor of this tensor's dtype.
    func scalarLike(_ v: Double) -> Tensor { Tensor(v, dtype: dtype) }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }
    public static func + (a: Tensor, b: Double) -> Tensor { binary(.add, a, a.scalarLike(b)) }
    public static func - (a: Tensor, b: Double) -> Tensor { binary(.sub, a, a.scalarLike(b)) }
    public static func * (a: Tensor, b: Double) -> Tensor { binary(.mul, a, a.scalarLike(b)) }
    public static func / (a: Tensor, b: Double) -> Tensor { binary(.div, a, a.scalarLike(b)) }
    public static func + (a: Double, b: Tensor) -> Tensor { binary(.add, b.scalarLike(a), b) }
    public static func - (a: Double, b: Tensor) -> Tensor { binary(.sub, b.scalarLike(a), b) }
    public static func * (a: Double, b: Tensor) -> Tensor { binary(.mul, b.scalarLike(a), b) }
    public static func / (a: Double, b: Tensor) -> Tensor { binary(.div, b.scalarLike(a), b) }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func *= (a: inout Tensor, b: Double) { a = a * b }

    /// Elementwise maximum (gradient to `a` where `a ≥ b`).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.maximum, a, b) }
    /// Elementwise minimum (gradient to `a` where `a ≤ b`).
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.minimum, a, b) }

    /// 1 where `self > other`, else 0 (same float dtype; not differentiable).
    public func isGreater(_ other: Tensor) -> Tensor { Tensor.binary(.greater, self, other) }
    public func isGreaterEqual(_ other: Tensor) -> Tensor { Tensor.binary(.greaterEqual, self, other) }
    public func isLess(_ other: Tensor) -> Tensor { Tensor.binary(.less, self, other) }
    public func isLessEqual(_ other: Tensor) -> Tensor { Tensor.binary(.lessEqual, self, other) }
    public func isEqual(_ other: Tensor) -> Tensor { Tensor.binary(.equal, self, other) }
    public func isNotEqual(_ other: Tensor) -> Tensor { Tensor.binary(.notEqual, self, other) }
    public func isGreater(_ v: Double) -> Tensor { isGreater(scalarLike(v)) }
    public func isLess(_ v: Double) -> Tensor { isLess(scalarLike(v)) }
}
