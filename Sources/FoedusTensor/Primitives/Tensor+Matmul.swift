import FoedusKernels

extension Tensor {
    /// Batched matrix product `op(a) · op(b)` (the primitive): `a` is `[m, k]` or `[batch, m, k]`
    /// (`[.., k, m]` when `transposeA`), `b` is `[k, n]` or `[batch, k, n]` (`[.., n, k]` when
    /// `transposeB`); a rank-2 `b` with a rank-3 `a` is shared by every batch item.
    ///
    /// Float32 runs on oneDNN; Float64 on the portable kernel.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        checkSameFloat(a, b, "matmul")
        // Built only when a precondition fails (the messages are autoclosures).
        var desc: String { "\(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") × \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : "")" }
        precondition((a.rank == 2 || a.rank == 3) && (b.rank == 2 || b.rank == 3) && (b.rank <= a.rank),
                     "[matmul] ranks \(desc): need [m,k]×[k,n], [B,m,k]×[B,k,n] or [B,m,k]×[k,n]")
        let batch = a.rank == 3 ? a.shape[0] : 1
        let broadcastB = a.rank == 3 && b.rank == 2
        let (m, ka) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (kb, n) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        precondition(ka == kb, "[matmul] inner dimensions differ: \(desc)")
        precondition(b.rank == 2 || b.shape[0] == batch, "[matmul] batch sizes differ: \(desc)")
        let outShape = a.rank == 3 ? [batch, m, n] : [m, n]
        let y: Tensor
        switch a.dtype {
        case .float32:
            y = compute(outShape, Float.self, keeping: [a, b]) { c in
                DNNLKernels.matmul(a: a.pointer(Float.self), b: b.pointer(Float.self), c: c, batch: batch, m: m, n: n, k: ka,
                                   transposeA: transposeA, transposeB: transposeB, broadcastB: broadcastB)
            }
        case .float64:
            y = compute(outShape, Double.self, keeping: [a, b]) { c in
                PortableKernels.matmul(a: a.pointer(Double.self), b: b.pointer(Double.self), c: c, batch: batch, m: m, n: n, k: ka,
                                       transposeA: transposeA, transposeB: transposeB, broadcastB: broadcastB)
            }
        case .int32: a.requireFloat("matmul")
        }
        return Autodiff.record(y, "matmul", [a, b]) { ctx in
            let g = ctx.cotangent, a = ctx.inputs[0], b = ctx.inputs[1]
            // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G, undone through the transposes.
            let ga: Tensor
            if !transposeA {
                ga = matmul(g, b, transposeA: false, transposeB: !transposeB)
            } else if broadcastB {
                ga = matmul(g, b, transposeA: false, transposeB: !transposeB).transposed()
            } else {
                ga = matmul(b, g, transposeA: transposeB, transposeB: true)
            }
            var gb: Tensor
            if transposeB {
                gb = matmul(g, a, transposeA: true, transposeB: transposeA)
            } else {
                gb = matmul(a, g, transposeA: !transposeA, transposeB: false)
            }
            // A weight shared across the batch collects every item's contribution.
            if broadcastB { gb = gb.sum(axes: [0]) }
            return [ga, gb]
        }
    }

    /// Matrix product with NumPy-style leading dimensions on `a`: `[..., m, k] × [k, n]` gives
    /// `[..., m, n]`; rank-3 × rank-3 is a batched product.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.rank > 3 && b.rank == 2 {
            let lead = Array(a.shape.dropLast())
            return matmul(a.reshaped([-1, a.shape[a.rank - 1]]), b, transposeA: false, transposeB: false)
                .reshaped(lead + [b.shape[1]])
        }
        if a.rank == 3 && b.rank == 2 {
            // One large GEMM is faster than a batch of small ones.
            return matmul(a.reshaped([-1, a.shape[2]]), b, transposeA: false, transposeB: false).reshaped([a.shape[0], a.shape[1], b.shape[1]])
        }
        return matmul(a, b, transposeA: false, transposeB: false)
    }
}
