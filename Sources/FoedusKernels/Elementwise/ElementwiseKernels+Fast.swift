import CFoedusKernels

/// Binary operations with a vectorised kernel (codes shared with the C shim).
public enum BinaryKernelOp: Int32, Sendable {
    case add = 0, sub, mul, div, maximum, minimum, greater, greaterEqual, less, lessEqual, equal, notEqual
    /// `y > 0 ? x : 0`: the ReLU backward pass (x the cotangent, y the ReLU input).
    case maskPositive

    /// The scalar definition: the reference twin of the vectorised loops.
    @inlinable
    public func apply<T: KernelFloat>(_ x: T, _ y: T) -> T {
        switch self {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .maximum: return (x >= y || x.isNaN) ? x : y
        case .minimum: return (x <= y || x.isNaN) ? x : y
        case .greater: return x > y ? 1 : 0
        case .greaterEqual: return x >= y ? 1 : 0
        case .less: return x < y ? 1 : 0
        case .lessEqual: return x <= y ? 1 : 0
        case .equal: return x == y ? 1 : 0
        case .notEqual: return x != y ? 1 : 0
        case .maskPositive: return y > 0 ? x : 0
        }
    }
}

/// Unary operations with a vectorised kernel (codes shared with the C shim).
public enum UnaryKernelOp: Int32, Sendable {
    case neg = 0, exp, log, sqrt, tanh, erf, abs, sign, square, pow, relu, step

    /// The scalar definition: the reference twin of the vectorised loops.
    @inlinable
    public func apply<T: KernelFloat>(_ v: T, _ p: T) -> T {
        switch self {
        case .neg: return -v
        case .exp: return T.kExp(v)
        case .log: return T.kLog(v)
        case .sqrt: return T.kSqrt(v)
        case .tanh: return T.kTanh(v)
        case .erf: return T.kErf(v)
        case .abs: return Swift.abs(v)
        case .sign: return v > 0 ? 1 : (v < 0 ? -1 : 0)
        case .square: return v * v
        case .pow: return T.kPow(v, p)
        case .relu: return v > 0 ? v : 0
        case .step: return v > 0 ? 1 : 0
        }
    }
}

extension ElementwiseKernels {
    @inline(__always) @usableFromInline
    static func isFloat<T>(_: T.Type) -> Bool { T.self == Float.self }

    /// `out = op(a, b)` with broadcast strides on `a` and `b`, `out` contiguous: vectorised runs.
    public static func binary<T: KernelFloat>(_ op: BinaryKernelOp, _ a: UnsafePointer<T>, strides aStrides: [Int],
                                              _ b: UnsafePointer<T>, strides bStrides: [Int],
                                              _ out: UnsafeMutablePointer<T>, shape: [Int]) {
        let plan = StridedPlan(shape: shape, strides: [aStrides, bStrides, StridedPlan.contiguousStrides(shape)])
        plan.forEachRun { off, n, s in
            let pa = a + off[0], pb = b + off[1], po = out + off[2]
            if s[2] == 1 && s[0] <= 1 && s[1] <= 1 && s[0] >= 0 && s[1] >= 0 {
                if isFloat(T.self) {
                    foedus_binary_f32(op.rawValue, raw(pa, Float.self), s[0], raw(pb, Float.self), s[1], rawMutable(po, Float.self), n)
                } else {
                    foedus_binary_f64(op.rawValue, raw(pa, Double.self), s[0], raw(pb, Double.self), s[1], rawMutable(po, Double.self), n)
                }
            } else {
                for i in 0..<n { po[i &* s[2]] = op.apply(pa[i &* s[0]], pb[i &* s[1]]) }
            }
        }
    }

    /// `out[i] = op(x[i])` over a contiguous run; `parameter` is the exponent of `.pow`.
    public static func unary<T: KernelFloat>(_ op: UnaryKernelOp, _ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, count: Int, parameter: T = 0) {
        if isFloat(T.self) {
            foedus_unary_f32(op.rawValue, raw(x, Float.self), rawMutable(out, Float.self), count, Float(parameter))
        } else {
            foedus_unary_f64(op.rawValue, raw(x, Double.self), rawMutable(out, Double.self), count, Double(parameter))
        }
    }

    /// `out = cond != 0 ? a : b` with broadcast strides, vectorised runs.
    public static func selectFast<T: KernelFloat>(_ cond: UnsafePointer<T>, strides cStrides: [Int],
                                                  _ a: UnsafePointer<T>, strides aStrides: [Int],
                                                  _ b: UnsafePointer<T>, strides bStrides: [Int],
                                                  _ out: UnsafeMutablePointer<T>, shape: [Int]) {
        let plan = StridedPlan(shape: shape, strides: [cStrides, aStrides, bStrides, StridedPlan.contiguousStrides(shape)])
        plan.forEachRun { off, n, s in
            let pc = cond + off[0], pa = a + off[1], pb = b + off[2], po = out + off[3]
            if s[3] == 1 {
                if isFloat(T.self) {
                    foedus_select_f32(raw(pc, Float.self), s[0], raw(pa, Float.self), s[1], raw(pb, Float.self), s[2], rawMutable(po, Float.self), n)
                } else {
                    foedus_select_f64(raw(pc, Double.self), s[0], raw(pa, Double.self), s[1], raw(pb, Double.self), s[2], rawMutable(po, Double.self), n)
                }
            } else {
                for i in 0..<n { po[i &* s[3]] = pc[i &* s[0]] != 0 ? pa[i &* s[1]] : pb[i &* s[2]] }
            }
        }
    }

    /// Sum (`isMax == false`) or maximum reduction, like ``reduce(_:shape:_:outStrides:_:)`` with
    /// vectorised row kernels. Rows are reduced with 16 partial sums in a fixed order, so the
    /// result is deterministic but may differ from the sequential reference in the last bits.
    public static func reduceFast<T: KernelFloat>(_ x: UnsafePointer<T>, shape: [Int], _ out: UnsafeMutablePointer<T>, outStrides: [Int], isMax: Bool) {
        let plan = StridedPlan(shape: shape, strides: [StridedPlan.contiguousStrides(shape), outStrides])
        plan.forEachRun { off, n, s in
            let px = x + off[0], po = out + off[1]
            if s[0] == 1 && s[1] == 0 {
                if isFloat(T.self) {
                    let r = isMax ? foedus_max_f32(raw(px, Float.self), n) : foedus_sum_f32(raw(px, Float.self), n)
                    let o = rawMutable(po, Float.self)
                    o[0] = isMax ? ((r > o[0] || r.isNaN) ? r : o[0]) : o[0] + r
                } else {
                    let r = isMax ? foedus_max_f64(raw(px, Double.self), n) : foedus_sum_f64(raw(px, Double.self), n)
                    let o = rawMutable(po, Double.self)
                    o[0] = isMax ? ((r > o[0] || r.isNaN) ? r : o[0]) : o[0] + r
                }
            } else if s[0] == 1 && s[1] == 1 {
                if isFloat(T.self) {
                    foedus_accumulate_f32(isMax ? 1 : 0, rawMutable(po, Float.self), raw(px, Float.self), n)
                } else {
                    foedus_accumulate_f64(isMax ? 1 : 0, rawMutable(po, Double.self), raw(px, Double.self), n)
                }
            } else {
                for i in 0..<n {
                    let v = px[i &* s[0]], o = po[i &* s[1]]
                    po[i &* s[1]] = isMax ? ((v > o || v.isNaN) ? v : o) : o + v
                }
            }
        }
    }

    @inline(__always) @usableFromInline
    static func raw<T, U>(_ p: UnsafePointer<T>, _: U.Type) -> UnsafePointer<U> { UnsafeRawPointer(p).assumingMemoryBound(to: U.self) }
    @inline(__always) @usableFromInline
    static func rawMutable<T, U>(_ p: UnsafeMutablePointer<T>, _: U.Type) -> UnsafeMutablePointer<U> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self) }
}
