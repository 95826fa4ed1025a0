import FoedusKernels

/// 2-D convolution as a closed family of three primitives — forward, backward-data and
/// backward-weights — whose VJPs are written in each other. Gradients of every order are
/// therefore exact without materialising im2col buffers.
extension Tensor {
    static func convGeometry(_ x: [Int], _ w: [Int], stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int) -> Conv2DGeometry {
        var desc: String { "input \(Shape.describe(x)), weight \(Shape.describe(w)), stride \(stride), padding \(padding), dilation \(dilation), groups \(groups)" }
        precondition(x.count == 4 && w.count == 4, "[conv2d] needs NCHW input and OIHW weight: \(desc)")
        precondition(groups >= 1 && x[1] % groups == 0 && w[0] % groups == 0 && w[1] * groups == x[1],
                     "[conv2d] channels do not match groups: \(desc)")
        let g = Conv2DGeometry(batch: x[0], inChannels: x[1], height: x[2], width: x[3], outChannels: w[0],
                               kernelH: w[2], kernelW: w[3], strideH: stride.0, strideW: stride.1,
                               padH: padding.0, padW: padding.1, dilationH: dilation.0, dilationW: dilation.1, groups: groups)
        if let problem = g.validationError { preconditionFailure("[conv2d] \(problem): \(desc)") }
        return g
    }

    static func inputShape(_ g: Conv2DGeometry) -> [Int] { [g.batch, g.inChannels, g.height, g.width] }
    static func weightShape(_ g: Conv2DGeometry) -> [Int] { [g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW] }
    static func outputShape(_ g: Conv2DGeometry) -> [Int] { [g.batch, g.outChannels, g.outHeight, g.outWidth] }

    /// y = conv(x, w), no bias.
    static func convForward(_ x: Tensor, _ w: Tensor, _ g: Conv2DGeometry) -> Tensor {
        checkSameFloat(x, w, "conv2d")
        let y: Tensor
        switch x.dtype {
        case .float32:
            y = compute(outputShape(g), Float.self, keeping: [x, w]) { DNNLKernels.conv2dForward(x: x.pointer(Float.self), w: w.pointer(Float.self), y: $0, geometry: g) }
        case .float64:
            y = compute(outputShape(g), Double.self, keeping: [x, w]) { PortableKernels.conv2dForward(x: x.pointer(Double.self), w: w.pointer(Double.self), y: $0, geometry: g) }
        case .int32: x.requireFloat("conv2d")
        }
        return Autodiff.record(y, "conv2d", [x, w]) { ctx in
            [convBackwardData(ctx.cotangent, ctx.inputs[1], g), convBackwardWeights(ctx.inputs[0], ctx.cotangent, g)]
        }
    }

    /// ∂⟨conv(x, w), gy⟩/∂x: linear in `gy` and in `w`.
    static func convBackwardData(_ gy: Tensor, _ w: Tensor, _ g: Conv2DGeometry) -> Tensor {
        checkSameFloat(gy, w, "conv2dBackwardData")
        let gx: Tensor
        switch gy.dtype {
        case .float32:
            gx = compute(inputShape(g), Float.self, keeping: [gy, w]) { DNNLKernels.conv2dBackwardData(gradOutput: gy.pointer(Float.self), w: w.pointer(Float.self), gradInput: $0, geometry: g) }
        case .float64:
            gx = compute(inputShape(g), Double.self, keeping: [gy, w]) { PortableKernels.conv2dBackwardData(gradOutput: gy.pointer(Double.self), w: w.pointer(Double.self), gradInput: $0, geometry: g) }
        case .int32: gy.requireFloat("conv2dBackwardData")
        }
        // ⟨bwdData(gy, w), h⟩ = ⟨conv(h, w), gy⟩.
        return Autodiff.record(gx, "conv2dBackwardData", [gy, w]) { ctx in
            [convForward(ctx.cotangent, ctx.inputs[1], g), convBackwardWeights(ctx.cotangent, ctx.inputs[0], g)]
        }
    }

    /// ∂⟨conv(x, w), gy⟩/∂w: linear in `x` and in `gy`.
    static func convBackwardWeights(_ x: Tensor, _ gy: Tensor, _ g: Conv2DGeometry) -> Tensor {
        checkSameFloat(x, gy, "conv2dBackwardWeights")
        let gw: Tensor
        switch x.dtype {
        case .float32:
            gw = compute(weightShape(g), Float.self, keeping: [x, gy]) { DNNLKernels.conv2dBackwardWeights(x: x.pointer(Float.self), gradOutput: gy.pointer(Float.self), gradWeight: $0, geometry: g) }
        case .float64:
            gw = compute(weightShape(g), Double.self, keeping: [x, gy]) { PortableKernels.conv2dBackwardWeights(x: x.pointer(Double.self), gradOutput: gy.pointer(Double.self), gradWeight: $0, geometry: g) }
        case .int32: x.requireFloat("conv2dBackwardWeights")
        }
        // ⟨bwdWeights(x, gy), h⟩ = ⟨conv(x, h), gy⟩.
        return Autodiff.record(gw, "conv2dBackwardWeights", [x, gy]) { ctx in
            [convBackwardData(ctx.inputs[1], ctx.cotangent, g), convForward(ctx.inputs[0], ctx.cotangent, g)]
        }
    }

    /// 2-D cross-correlation (PyTorch's `conv2d`): `x` NCHW, `weight` OIHW
    /// `[out, in/groups, kh, kw]`, optional `bias` `[out]`.
    /// - Precondition: channels divisible by `groups`; the kernel fits the padded input.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        let g = convGeometry(x.shape, weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let y = convForward(x, weight, g)
        guard let bias else { return y }
        precondition(bias.shape == [g.outChannels], "[conv2d] bias \(Shape.describe(bias.shape)) for \(g.outChannels) output channels")
        return y + bias.reshaped([1, g.outChannels, 1, 1])
    }
}
