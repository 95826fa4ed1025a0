import FoedusKernels

/// The closed set of elementwise unary primitives.
enum UnaryOp: Sendable {
    case neg, exp, log, sqrt, tanh, erf, abs, sign
    case pow(Double)

    var name: String {
        switch self {
        case .neg: "neg"
        case .exp: "exp"
        case .log: "log"
        case .sqrt: "sqrt"
        case .tanh: "tanh"
        case .erf: "erf"
        case .abs: "abs"
        case .sign: "sign"
        case .pow(let p): "pow(\(p))"
        }
    }
}

extension Tensor {
    /// Applies a unary primitive without recording.
    func applyUnary(_ op: UnaryOp) -> Tensor {
        switch dtype {
        case .float32: return Self.unaryKernel(self, op, Float.self)
        case .float64: return Self.unaryKernel(self, op, Double.self)
        case .int32: requireFloat(op.name)
        }
    }

    static func unaryKernel<T: TensorFloat>(_ x: Tensor, _ op: UnaryOp, _: T.Type) -> Tensor {
        let n = x.scalarCount
        let p = x.pointer(T.self)
        return compute(x.shape, T.self, keeping: [x]) { o in
            switch op {
            case .neg: ElementwiseKernels.map(p, o, count: n) { -$0 }
            case .exp: ElementwiseKernels.map(p, o, count: n) { T.kExp($0) }
            case .log: ElementwiseKernels.map(p, o, count: n) { T.kLog($0) }
            case .sqrt: ElementwiseKernels.map(p, o, count: n) { T.kSqrt($0) }
            case .tanh: ElementwiseKernels.map(p, o, count: n) { T.kTanh($0) }
            case .erf: ElementwiseKernels.map(p, o, count: n) { T.kErf($0) }
            case .abs: ElementwiseKernels.map(p, o, count: n) { Swift.abs($0) }
            case .sign: ElementwiseKernels.map(p, o, count: n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
            case .pow(let e):
                let te = T(e)
                if e == 2 {
                    ElementwiseKernels.map(p, o, count: n) { $0 * $0 }
                } else {
                    ElementwiseKernels.map(p, o, count: n) { T.kPow($0, te) }
                }
            }
        }
    }

    /// Records a unary primitive with its VJP.
    func unary(_ op: UnaryOp) -> Tensor {
        let y = applyUnary(op)
        return Autodiff.record(y, op.name, [self]) { ctx in
            let g = ctx.cotangent, x = ctx.inputs[0]
            // When the graph is recorded, derivatives are recomputed from the tracked input
            // instead of reusing the (constant) output, so second derivatives stay exact.
            let y = ctx.createGraph ? x.applyUnaryTracked(op) : ctx.output
            switch op {
            case .neg: return [-g]
            case .exp: return [g * y]
            case .log: return [g / x]
            case .sqrt: return [g * 0.5 / y]
            case .tanh: return [g * (1 - y * y)]
            case .erf: return [g * (2 / Double.pi.squareRoot()) * (-(x * x)).exp()]
            case .abs: return [g * x.sign()]
            case .sign: return [nil]
            case .pow(let e): return [e == 1 ? g : g * e * x.pow(e - 1)]
            }
        }
    }

    private func applyUnaryTracked(_ op: UnaryOp) -> Tensor { unary(op) }

    /// Elementwise eˣ.
    public func exp() -> Tensor { unary(.exp) }
    /// Elementwise natural logarithm.
    public func log() -> Tensor { unary(.log) }
    /// Elementwise square root.
    public func sqrt() -> Tensor { unary(.sqrt) }
    /// Elementwise hyperbolic tangent.
    public func tanh() -> Tensor { unary(.tanh) }
    /// Elementwise error function.
    public func erf() -> Tensor { unary(.erf) }
    /// Elementwise absolute value (derivative sign(x), 0 at 0).
    public func abs() -> Tensor { unary(.abs) }
    /// Elementwise sign (−1, 0, 1); zero derivative.
    public func sign() -> Tensor { unary(.sign) }
    /// Elementwise xᵖ for a constant exponent.
    public func pow(_ p: Double) -> Tensor { unary(.pow(p)) }
    /// Elementwise x².
    public func squared() -> Tensor { unary(.pow(2)) }
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }
}
