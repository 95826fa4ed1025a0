import CDNNL

/// Memory layouts a convolution primitive may be built with.
enum DNNLConvolutionLayout: Hashable, Sendable {
    /// The primitive works directly on NCHW / OIHW buffers.
    case plain
    /// The primitive picks its preferred (blocked) layouts; every call reorders operands in
    /// and results out.
    case preferred
}

extension DNNLKernels {
    /// The layout the public convolution functions use, chosen by measurement (batch 64, 1 and
    /// 2 threads, reorders included): oneDNN's blocked kernels beat its GEMM-based plain-layout
    /// ones 2–3× on 32→64 3×3 (7.5 vs 16.7 ms for the three passes, 2 threads) and 10×
    /// depthwise, but lose backward-data into very few input channels (1→32: 2.8–3.6 ms blocked
    /// vs 0.7–0.9 ms plain; 3→32: 4–5 vs 3 ms; 8→16 already wins blocked, 1.6–1.9 vs 4.3–4.9 ms).
    static func convolutionLayout(_ pass: DNNLConvolutionPass, _ g: Conv2DGeometry) -> DNNLConvolutionLayout {
        pass == .backwardData && g.inChannels <= 4 ? .plain : .preferred
    }

    /// Float32 2-D convolution (cross-correlation, as in PyTorch) without bias; same definition
    /// as `ReferenceKernels.conv2dForward`.
    ///
    /// - Layouts: see `Conv2DGeometry` (x NCHW, w OIHW, y NCHW), contiguous; `y` is overwritten.
    /// - Precondition: `geometry.isValid`; `y` does not overlap `x` or `w`.
    /// - Complexity: `geometry.multiplyAdds`; the first call for a geometry also compiles and
    ///   caches a primitive.
    public static func conv2dForward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry
    ) {
        conv2dForward(x: x, w: w, y: y, geometry: geometry, layout: convolutionLayout(.forward, geometry))
    }

    /// Gradient of `conv2dForward` with respect to its input.
    ///
    /// - Layouts: `gradOutput` like `y`, `w` OIHW, `gradInput` like `x` (overwritten; entries no
    ///   window reaches are zero).
    /// - Precondition: `geometry.isValid`; `gradInput` does not overlap the other operands.
    /// - Complexity: `geometry.multiplyAdds`; the first call for a geometry also compiles and
    ///   caches a primitive.
    public static func conv2dBackwardData(
        gradOutput: UnsafePointer<Float>, w: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry
    ) {
        conv2dBackwardData(gradOutput: gradOutput, w: w, gradInput: gradInput, geometry: geometry,
                           layout: convolutionLayout(.backwardData, geometry))
    }

    /// Gradient of `conv2dForward` with respect to its weights, summed over the batch.
    ///
    /// - Layouts: `x` NCHW, `gradOutput` like `y`, `gradWeight` OIHW (overwritten).
    /// - Precondition: `geometry.isValid`; `gradWeight` does not overlap the other operands.
    /// - Complexity: `geometry.multiplyAdds`; the first call for a geometry also compiles and
    ///   caches a primitive.
    public static func conv2dBackwardWeights(
        x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry
    ) {
        conv2dBackwardWeights(x: x, gradOutput: gradOutput, gradWeight: gradWeight, geometry: geometry,
                              layout: convolutionLayout(.backwardWeights, geometry))
    }

    static func conv2dForward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry, layout: DNNLConvolutionLayout
    ) {
        precondition(geometry.isValid, "DNNLKernels.conv2dForward: \(geometry.validationError ?? "")")
        convolutionPlan(.forward, geometry, layout).execute([
            UnsafeMutableRawPointer(mutating: x), UnsafeMutableRawPointer(mutating: w), UnsafeMutableRawPointer(y),
        ])
    }

    static func conv2dBackwardData(
        gradOutput: UnsafePointer<Float>, w: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry, layout: DNNLConvolutionLayout
    ) {
        precondition(geometry.isValid, "DNNLKernels.conv2dBackwardData: \(geometry.validationError ?? "")")
        convolutionPlan(.backwardData, geometry, layout).execute([
            UnsafeMutableRawPointer(mutating: gradOutput), UnsafeMutableRawPointer(mutating: w),
            UnsafeMutableRawPointer(gradInput),
        ])
    }

    static func conv2dBackwardWeights(
        x: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
        geometry: Conv2DGeometry, layout: DNNLConvolutionLayout
    ) {
        precondition(geometry.isValid, "DNNLKernels.conv2dBackwardWeights: \(geometry.validationError ?? "")")
        convolutionPlan(.backwardWeights, geometry, layout).execute([
            UnsafeMutableRawPointer(mutating: x), UnsafeMutableRawPointer(mutating: gradOutput),
            UnsafeMutableRawPointer(gradWeight),
        ])
    }

    /// The cached plan for one pass; operands are ordered as the callers above pass pointers.
    static func convolutionPlan(
        _ pass: DNNLConvolutionPass, _ g: Conv2DGeometry, _ layout: DNNLConvolutionLayout
    ) -> DNNLPlan {
        DNNLPrimitiveCache.shared.plan(for: DNNLPlanKey(.convolution(pass, g, layout))) {
            ConvolutionDescriptors(g, layout: layout).makePlan(pass)
        }
    }
}

/// The oneDNN descriptors of one convolution geometry.
private struct ConvolutionDescriptors {
    let g: Conv2DGeometry
    let layout: DNNLConvolutionLayout
    let label: String
    /// Caller layouts: NCHW activations and OIHW (or grouped GOIHW) weights.
    let userSource: dnnl_memory_desc_t
    let userWeights: dnnl_memory_desc_t
    let userDestination: dnnl_memory_desc_t
    /// What the primitive is described with: the user layouts, or `format_tag_any`.
    let source: dnnl_memory_desc_t
    let weights: dnnl_memory_desc_t
    let destination: dnnl_memory_desc_t
    let strides: [Int]
    /// oneDNN counts dilation as the gap between taps: PyTorch's dilation minus one.
    let dilates: [Int]
    let padding: [Int]

    init(_ g: Conv2DGeometry, layout: DNNLConvolutionLayout) {
        self.g = g
        self.layout = layout
        label = "convolution \(g) (\(layout) layout)"
        let sourceDims = [g.batch, g.inChannels, g.height, g.width]
        let destinationDims = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        // PyTorch's [O, I/g, kh, kw] buffer is exactly oneDNN's grouped [g, O/g, I/g, kh, kw].
        let grouped = g.groups > 1
        let weightDims = grouped
            ? [g.groups, g.outChannelsPerGroup, g.inChannelsPerGroup, g.kernelH, g.kernelW]
            : [g.outChannels, g.inChannels, g.kernelH, g.kernelW]
        let weightTag = grouped ? dnnl_goihw : dnnl_oihw
        userSource = dnnlMemoryDesc(sourceDims, tag: dnnl_nchw)
        userWeights = dnnlMemoryDesc(weightDims, tag: weightTag)
        userDestination = dnnlMemoryDesc(destinationDims, tag: dnnl_nchw)
        switch layout {
        case .plain:
            source = userSource
            weights = userWeights
            destination = userDestination
        case .preferred:
            source = dnnlMemoryDesc(sourceDims, tag: dnnl_format_tag_any)
            weights = dnnlMemoryDesc(weightDims, tag: dnnl_format_tag_any)
            destination = dnnlMemoryDesc(destinationDims, tag: dnnl_format_tag_any)
        }
        strides = [g.strideH, g.strideW]
        dilates = [g.dilationH - 1, g.dilationW - 1]
        padding = [g.padH, g.padW]
    }

    func makePlan(_ pass: DNNLConvolutionPass) -> DNNLPlan {
        switch pass {
        case .forward:
            let forward = describeForward()
            return withUnsafePointer(to: forward) { pointer in
                DNNLPlan(label: "forward \(label)", opDesc: UnsafeRawPointer(pointer), operands: [
                    .init(argument: DNNL_ARG_SRC, userDesc: userSource, query: dnnl_query_src_md, isOutput: false),
                    .init(argument: DNNL_ARG_WEIGHTS, userDesc: userWeights, query: dnnl_query_weights_md, isOutput: false),
                    .init(argument: DNNL_ARG_DST, userDesc: userDestination, query: dnnl_query_dst_md, isOutput: true),
                ])
            }
        case .backwardData:
            var backward = dnnl_convolution_desc_t()
            let status = withArrays { stridesPointer, dilatesPointer, paddingPointer in
                withUnsafePointer(to: source) { s in
                    withUnsafePointer(to: weights) { w in
                        withUnsafePointer(to: destination) { d in
                            dnnl_dilated_convolution_backward_data_desc_init(
                                &backward, dnnl_convolution_direct, s, w, d,
                                stridesPointer, dilatesPointer, paddingPointer, paddingPointer)
                        }
                    }
                }
            }
            dnnlCheck(status, "describing backward-data \(label)")
            return withForwardHint { hint in
                withUnsafePointer(to: backward) { pointer in
                    DNNLPlan(label: "backward-data \(label)", opDesc: UnsafeRawPointer(pointer), hint: hint, operands: [
                        .init(argument: DNNL_ARG_DIFF_DST, userDesc: userDestination, query: dnnl_query_diff_dst_md, isOutput: false),
                        .init(argument: DNNL_ARG_WEIGHTS, userDesc: userWeights, query: dnnl_query_weights_md, isOutput: false),
                        .init(argument: DNNL_ARG_DIFF_SRC, userDesc: userSource, query: dnnl_query_diff_src_md, isOutput: true),
                    ])
                }
            }
        case .backwardWeights:
            var backward = dnnl_convolution_desc_t()
            let status = withArrays { stridesPointer, dilatesPointer, paddingPointer in
                withUnsafePointer(to: source) { s in
                    withUnsafePointer(to: weights) { w in
                        withUnsafePointer(to: destination) { d in
                            dnnl_dilated_convolution_backward_weights_desc_init(
                                &backward, dnnl_convolution_direct, s, w, nil, d,
                                stridesPointer, dilatesPointer, paddingPointer, paddingPointer)
                        }
                    }
                }
            }
            dnnlCheck(status, "describing backward-weights \(label)")
            return withForwardHint { hint in
                withUnsafePointer(to: backward) { pointer in
                    DNNLPlan(label: "backward-weights \(label)", opDesc: UnsafeRawPointer(pointer), hint: hint, operands: [
                        .init(argument: DNNL_ARG_SRC, userDesc: userSource, query: dnnl_query_src_md, isOutput: false),
                        .init(argument: DNNL_ARG_DIFF_DST, userDesc: userDestination, query: dnnl_query_diff_dst_md, isOutput: false),
                        .init(argument: DNNL_ARG_DIFF_WEIGHTS, userDesc: userWeights, query: dnnl_query_diff_weights_md, isOutput: true),
                    ])
                }
            }
        }
    }

    private func describeForward() -> dnnl_convolution_desc_t {
        var forward = dnnl_convolution_desc_t()
        let status = withArrays { stridesPointer, dilatesPointer, paddingPointer in
            withUnsafePointer(to: source) { s in
                withUnsafePointer(to: weights) { w in
                    withUnsafePointer(to: destination) { d in
                        dnnl_dilated_convolution_forward_desc_init(
                            &forward, dnnl_forward_training, dnnl_convolution_direct, s, w, nil, d,
                            stridesPointer, dilatesPointer, paddingPointer, paddingPointer)
                    }
                }
            }
        }
        dnnlCheck(status, "describing forward \(label)")
        return forward
    }

    /// Backward primitive descriptors need the forward one they differentiate as a hint.
    private func withForwardHint<R>(_ body: (dnnl_primitive_desc_t) -> R) -> R {
        let environment = DNNLEnvironment.shared
        let forward = describeForward()
        var hint: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: forward) {
            dnnl_primitive_desc_create(&hint, UnsafeRawPointer($0), environment.attributes, environment.engine, nil)
        }
        dnnlCheck(status, "creating the forward hint for \(label)")
        defer { dnnl_primitive_desc_destroy(hint) }
        return body(hint!)
    }

    private func withArrays<R>(_ body: (UnsafePointer<dnnl_dim_t>, UnsafePointer<dnnl_dim_t>, UnsafePointer<dnnl_dim_t>) -> R) -> R {
        withDNNLDims(strides) { s in withDNNLDims(dilates) { d in withDNNLDims(padding) { p in body(s, d, p) } } }
    }
}
