/// Elementwise, copy and reduction loops over raw buffers.
///
/// Every loop walks a ``StridedPlan`` in a fixed order, so results do not depend on threads.
/// The contiguous fast paths (inner stride 1 or 0) are written out so the optimiser can
/// vectorise them; the general strided path is the scalar reference they are tested against.
public enum ElementwiseKernels {
    /// `out[i] = f(x[i])` over `count` contiguous elements.
    @inlinable @inline(__always)
    public static func map<T, U>(_ x: UnsafePointer<T>, _ out: UnsafeMutablePointer<U>, count: Int, _ f: (T) -> U) {
        for i in 0..<count { out[i] = f(x[i]) }
    }

    /// `out = f(a, b)` where `a` and `b` are read with broadcast strides and `out` is contiguous
    /// with the given shape.
    @inlinable @inline(__always)
    public static func zip<T, U>(
        _ a: UnsafePointer<T>, strides aStrides: [Int],
        _ b: UnsafePointer<T>, strides bStrides: [Int],
        _ out: UnsafeMutablePointer<U>, shape: [Int], _ f: (T, T) -> U
    ) {
        let plan = StridedPlan(shape: shape, strides: [aStrides, bStrides, StridedPlan.contiguousStrides(shape)])
        plan.forEachRun { off, n, s in
            let pa = a + off[0], pb = b + off[1], po = out + off[2]
            if s[0] == 1 && s[1] == 1 && s[2] == 1 {
                for i in 0..<n { po[i] = f(pa[i], pb[i]) }
            } else if s[0] == 1 && s[1] == 0 && s[2] == 1 {
                let vb = pb[0]
                for i in 0..<n { po[i] = f(pa[i], vb) }
            } else if s[0] == 0 && s[1] == 1 && s[2] == 1 {
                let va = pa[0]
                for i in 0..<n { po[i] = f(va, pb[i]) }
            } else {
                for i in 0..<n { po[i * s[2]] = f(pa[i * s[0]], pb[i * s[1]]) }
            }
        }
    }

    /// `out = cond != 0 ? a : b`, all three inputs read with broadcast strides.
    @inlinable @inline(__always)
    public static func select<T>(
        _ cond: UnsafePointer<T>, strides cStrides: [Int],
        _ a: UnsafePointer<T>, strides aStrides: [Int],
        _ b: UnsafePointer<T>, strides bStrides: [Int],
        _ out: UnsafeMutablePointer<T>, shape: [Int]
    ) where T: BinaryFloatingPoint {
        let plan = StridedPlan(shape: shape, strides: [cStrides, aStrides, bStrides, StridedPlan.contiguousStrides(shape)])
        plan.forEachRun { off, n, s in
            let pc = cond + off[0], pa = a + off[1], pb = b + off[2], po = out + off[3]
            if s[0] == 1 && s[1] == 1 && s[2] == 0 && s[3] == 1 {
                let vb = pb[0]
                for i in 0..<n { po[i] = pc[i] != 0 ? pa[i] : vb }
            } else {
                for i in 0..<n { po[i * s[3]] = pc[i * s[0]] != 0 ? pa[i * s[1]] : pb[i * s[2]] }
            }
        }
    }

    /// Strided gather-copy: `out` (contiguous, `shape`) takes `src[offset + Σ index·strides]`.
    /// Serves permute, broadcast and slice.
    @inlinable @inline(__always)
    public static func copy<T>(_ src: UnsafePointer<T>, strides: [Int], offset: Int, _ out: UnsafeMutablePointer<T>, shape: [Int]) {
        let plan = StridedPlan(shape: shape, strides: [strides, StridedPlan.contiguousStrides(shape)])
        plan.forEachRun { off, n, s in
            let ps = src + offset + off[0], po = out + off[1]
            if s[0] == 1 && s[1] == 1 {
                po.update(from: ps, count: n)
            } else if s[0] == 0 {
                po.update(repeating: ps[0], count: n)
            } else {
                for i in 0..<n { po[i * s[1]] = ps[i * s[0]] }
            }
        }
    }

    /// Strided scatter-copy: writes contiguous `src` (`shape`) into `out[offset + Σ index·strides]`.
    /// Serves pad and concat.
    @inlinable @inline(__always)
    public static func place<T>(_ src: UnsafePointer<T>, shape: [Int], _ out: UnsafeMutablePointer<T>, strides: [Int], offset: Int) {
        let plan = StridedPlan(shape: shape, strides: [StridedPlan.contiguousStrides(shape), strides])
        plan.forEachRun { off, n, s in
            let ps = src + off[0], po = out + offset + off[1]
            if s[0] == 1 && s[1] == 1 {
                po.update(from: ps, count: n)
            } else {
                for i in 0..<n { po[i * s[1]] = ps[i * s[0]] }
            }
        }
    }

    /// Reduction: for every index of `shape` (the input's shape, contiguous input),
    /// `out[Σ index·outStrides] = combine(out[...], x[index])`. Reduced axes have output stride 0.
    /// `out` must be initialised with the identity of `combine`. The order of accumulation is
    /// row-major over the input, whatever the thread count.
    @inlinable @inline(__always)
    public static func reduce<T>(_ x: UnsafePointer<T>, shape: [Int], _ out: UnsafeMutablePointer<T>, outStrides: [Int], _ combine: (T, T) -> T) {
        let plan = StridedPlan(shape: shape, strides: [StridedPlan.contiguousStrides(shape), outStrides])
        plan.forEachRun { off, n, s in
            let px = x + off[0], po = out + off[1]
            if s[0] == 1 && s[1] == 0 {
                var acc = po[0]
                for i in 0..<n { acc = combine(acc, px[i]) }
                po[0] = acc
            } else if s[0] == 1 && s[1] == 1 {
                for i in 0..<n { po[i] = combine(po[i], px[i]) }
            } else {
                for i in 0..<n { po[i * s[1]] = combine(po[i * s[1]], px[i * s[0]]) }
            }
        }
    }
}
