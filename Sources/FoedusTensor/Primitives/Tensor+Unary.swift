import FoedusKernels

/// The closed set of elementwise unary primitives.
enum UnaryOp: Sendable {
    case neg, exp, log, sqrt, tanh, erf, abs, sign, relu, step
    case pow(Double)

    var kernel: (UnaryKernelOp, Double) {
        switch self {
        case .neg: (.neg, 0)
        case .exp: (.exp, 0)
        case .log: (.log, 0)
        case .sqrt: (.sqrt, 0)
        case .tanh: (.tanh, 0)
        case .erf: (.erf, 0)
        case .abs: (.abs, 0)
        case .sign: (.sign, 0)
        case .relu: (.relu, 0)
        case .step: (.step, 0)
        case .pow(let e): e == 2 ? (.square, 0) : (.pow, e)
        }
    }

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
        case .relu: "relu"
        case .step: "step"
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
        let (kernel, parameter) = op.kernel
        return compute(x.shape, T.self, keeping: [x]) { o in
            ElementwiseKernels.unary(kernel, x.pointer(T.self), o, count: x.scalarCount, parameter: T(parameter))
        }
    }

    /// Records a unary primitive with its VJP.
    func unary(_ op: UnaryOp) -> Tensor {
        let y = applyUnary(op)
        return Autodiff.record(y, op.name, [self]) { ctx in
            let g = ctx.cotangent, x = ctx.inputs[0]
            // When the graph is recorded, derivatives are recomputed from the tracked input
            // instead of reusing the (constant) output, so second derivatives stay exact.
            var y: Tensor { ctx.createGraph ? x.applyUnaryTracked(op) : ctx.output }
            switch op {
            case .neg: return [-g]
            case .exp: return [g * y]
            case .log: return [g / x]
            case .sqrt: return [g * 0.5 / y]
            case .tanh:
                let t = y
                return [g * (1 - t * t)]
            case .erf: return [g * (2 / Double.pi.squareRoot()) * (-(x * x)).exp()]
            case .abs: return [g * x.sign()]
            case .sign, .step: return [nil]
            // The mask is a constant of the graph: relu's second derivative is 0 a.e.
            case .relu: return [Tensor.binary(.maskPositive, g, x.detached)]
            case .pow(let e):
                if e == 1 { return [g] }
                return [e == 2 ? g * x * 2 : g * e * x.pow(e - 1)]
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
    /// Elementwise max(x, 0); derivative 0 at 0 (as PyTorch).
    public func relu() -> Tensor { unary(.relu) }
    /// Elementwise Heaviside step (1 where x > 0, else 0); zero derivative.
    public func step() -> Tensor { unary(.step) }
    /// Elementwise sign (−1, 0, 1); zero derivative.
    public func sign() -> Tensor { unary(.sign) }
    /// Elementwise xᵖ for a constant exponent.
    public func pow(_ p: Double) -> Tensor { unary(.pow(p)) }
    /// Elementwise x².
    public func squared() -> Tensor { unary(.pow(2)) }
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }
}
