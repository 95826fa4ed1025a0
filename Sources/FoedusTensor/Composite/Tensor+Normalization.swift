import CFoedusKernels

extension Tensor {
    /// Group normalization of `[N, C, ...]` as primitives: statistics per sample over each group
    /// of `C/groups` channels (biased variance), then `weight`/`bias` per channel. The reference
    /// for the fused kernel, and what higher-order derivatives differentiate.
    public static func groupNormComposite(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Double = 1e-5) -> Tensor {
        checkGroupNorm(x, groups, weight, bias)
        let n = x.shape[0], c = x.shape[1]
        let grouped = x.reshaped([n, groups, -1])
        let centered = grouped - grouped.mean(axes: [2], keepDims: true)
        let variance = centered.squared().mean(axes: [2], keepDims: true)
        var y = (centered / (variance + epsilon).sqrt()).reshaped(x.shape)
        let channelShape = [1, c] + [Int](repeating: 1, count: x.rank - 2)
        if let weight { y = y * weight.reshaped(channelShape) }
        if let bias { y = y + bias.reshaped(channelShape) }
        return y
    }

    private static func checkGroupNorm(_ x: Tensor, _ groups: Int, _ weight: Tensor?, _ bias: Tensor?) {
        precondition(x.rank >= 2 && groups > 0 && x.shape[1] % groups == 0 && x.scalarCount > 0,
                     "[groupNorm] input \(Shape.describe(x.shape)) with \(groups) groups")
        for p in [weight, bias].compactMap({ $0 }) {
            precondition(p.shape == [x.shape[1]] && p.dtype == x.dtype, "[groupNorm] affine parameter \(p.dtype) \(Shape.describe(p.shape)) for \(x.shape[1]) \(x.dtype) channels")
        }
    }

    /// Group normalization (PyTorch's `group_norm`). Float32 runs a fused kernel (statistics in
    /// double) with a fused first-order backward; higher orders and Float64 use
    /// ``groupNormComposite(_:groups:weight:bias:epsilon:)``.
    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Double = 1e-5) -> Tensor {
        checkGroupNorm(x, groups, weight, bias)
        guard x.dtype == .float32, (weight == nil) == (bias == nil) else {
            return groupNormComposite(x, groups: groups, weight: weight, bias: bias, epsilon: epsilon)
        }
        let n = x.shape[0], c = x.shape[1], s = x.scalarCount / (n * c)
        var mean = [Double](repeating: 0, count: n * groups), rstd = mean
        let y = compute(x.shape, Float.self, keeping: [x] + [weight, bias].compactMap { $0 }) { out in
            foedus_groupnorm_forward_f32(x.pointer(Float.self), weight?.pointer(Float.self), bias?.pointer(Float.self), out,
                                         &mean, &rstd, n, c, s, groups, epsilon)
        }
        let affine = weight != nil
        let inputs = affine ? [x, weight!, bias!] : [x]
        return Autodiff.fused("groupNorm", value: y, inputs: inputs, firstOrder: { g, ins in
            let x = ins[0], gamma = affine ? ins[1] : nil
            var dgamma = affine ? Tensor.zeros([c]) : nil, dbeta = affine ? Tensor.zeros([c]) : nil
            let dx = compute(x.shape, Float.self, keeping: [x, g] + [gamma].compactMap { $0 }) { dxp in
                let dgp = dgamma.map { $0.storage.raw.assumingMemoryBound(to: Float.self) }
                let dbp = dbeta.map { $0.storage.raw.assumingMemoryBound(to: Float.self) }
                foedus_groupnorm_backward_f32(x.pointer(Float.self), g.pointer(Float.self), gamma?.pointer(Float.self), mean, rstd,
                                              dxp, dgp, dbp, n, c, s, groups)
            }
            withExtendedLifetime((dgamma, dbeta)) {}
            return affine ? [dx, dgamma, dbeta] : [dx]
        }, decomposition: { ins in
            groupNormComposite(ins[0], groups: groups, weight: affine ? ins[1] : nil, bias: affine ? ins[2] : nil, epsilon: epsilon)
        })
    }
}
