import CDNNL

extension DNNLKernels {
    /// Batched row-major Float32 matrix product `C[i] = op(A[i]) · op(B[i])` for `i` in
    /// `0..<batch`, on oneDNN's matmul primitive.
    ///
    /// - Layouts (each contiguous, batches back to back):
    ///   - `a`: `[batch, m, k]`, or `[batch, k, m]` when `transposeA`;
    ///   - `b`: `[batch, k, n]`, or `[batch, n, k]` when `transposeB`; with `broadcastB` a single
    ///     matrix (`[k, n]` or `[n, k]`) is used for every batch item (a linear layer on
    ///     `[batch, k]` inputs is `batch: 1, m: rows` or `broadcastB` with a 3-D input);
    ///   - `c`: `[batch, m, n]`, overwritten.
    /// - Preconditions: `batch ≥ 1`; `m, n, k ≥ 0`; `c` does not overlap `a` or `b`.
    /// - Complexity: `batch·m·n·k` multiply-adds; the first call for a shape also compiles and
    ///   caches a primitive.
    public static func matmul(
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        batch: Int, m: Int, n: Int, k: Int,
        transposeA: Bool = false, transposeB: Bool = false, broadcastB: Bool = false
    ) {
        precondition(batch >= 1 && m >= 0 && n >= 0 && k >= 0,
                     "DNNLKernels.matmul: invalid sizes batch \(batch), m \(m), n \(n), k \(k)")
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            // An empty sum; oneDNN does not take zero-sized reduction dimensions.
            c.initialize(repeating: 0, count: batch * m * n)
            return
        }
        let key = DNNLPlanKey(.matmul(batch: batch, m: m, n: n, k: k, transposeA: transposeA,
                                          transposeB: transposeB, broadcastB: broadcastB))
        let plan = DNNLPrimitiveCache.shared.plan(for: key) {
            makeMatmulPlan(batch: batch, m: m, n: n, k: k, transposeA: transposeA,
                           transposeB: transposeB, broadcastB: broadcastB)
        }
        plan.execute([UnsafeMutableRawPointer(mutating: a), UnsafeMutableRawPointer(mutating: b),
                      UnsafeMutableRawPointer(c)])
    }

    private static func makeMatmulPlan(
        batch: Int, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, broadcastB: Bool
    ) -> DNNLPlan {
        // Transposes are expressed as strides over the same logical [batch, rows, columns] dims.
        let aDesc = dnnlMemoryDesc([batch, m, k], strides: [m * k, transposeA ? 1 : k, transposeA ? m : 1])
        let bBatch = broadcastB ? 1 : batch
        let bDesc = dnnlMemoryDesc([bBatch, k, n], strides: [k * n, transposeB ? 1 : n, transposeB ? k : 1])
        let cDesc = dnnlMemoryDesc([batch, m, n], strides: [m * n, n, 1])
        var opDesc = dnnl_matmul_desc_t()
        let label = "matmul (batch \(batch), m \(m), n \(n), k \(k), transposeA \(transposeA), transposeB \(transposeB), broadcastB \(broadcastB))"
        let status = withUnsafePointer(to: aDesc) { aPointer in
            withUnsafePointer(to: bDesc) { bPointer in
                withUnsafePointer(to: cDesc) { cPointer in
                    dnnl_matmul_desc_init(&opDesc, aPointer, bPointer, nil, cPointer)
                }
            }
        }
        dnnlCheck(status, "describing \(label)")
        return withUnsafePointer(to: opDesc) { pointer in
            DNNLPlan(label: label, opDesc: UnsafeRawPointer(pointer), operands: [
                .init(argument: DNNL_ARG_SRC, userDesc: aDesc, query: dnnl_query_src_md, isOutput: false),
                .init(argument: DNNL_ARG_WEIGHTS, userDesc: bDesc, query: dnnl_query_weights_md, isOutput: false),
                .init(argument: DNNL_ARG_DST, userDesc: cDesc, query: dnnl_query_dst_md, isOutput: true),
            ])
        }
    }
}
