import CFoedusKernels

/// Integer 2-D convolution over NCHW uint8/int8 input with int8 (or int4) OIHW weights and
/// int32 output: `y[n][o][p] = Σ_{c,ky,kx} (x[n][g·Cg + c][iy][ix] − z_x)·W[o][c][ky][kx] + bias[o]`,
/// where `iy = oy·sh − ph + ky·dh`, `ix = ox·sw − pw + kx·dw` and out-of-image taps read the zero
/// point `z_x` (so they contribute 0). Runs as im2col (rows = output pixels) + ``IntegerGEMM`` per
/// (sample, group), then transposes `[pixels, O/G]` to NCHW.
public struct IntegerConv2D: Sendable {
    public let inChannels: Int, outChannels: Int, groups: Int
    public let kernel: (h: Int, w: Int)
    public let stride: (h: Int, w: Int)
    public let padding: (h: Int, w: Int)
    public let dilation: (h: Int, w: Int)
    /// One packed `[Cg·kh·kw, O/G]` matrix per group, rows in (c, ky, kx) order (NCHW im2col).
    public let packed: [PackedInt8Matrix]
    /// The same weights with rows in (ky, kx, c) order, for channels-last input.
    public let packedChannelsLast: [PackedInt8Matrix]
    /// When a group's channels are not whole 4-byte words (`cg % 4 != 0`, e.g. one input channel):
    /// the weights with rows in (ky, kx·cg + c) order, each ky's `kw·cg` rows followed by zero rows
    /// up to a multiple of 4, for the VNNI kernel that lays each output column's taps side by side
    /// (`foedus_u8_conv_nhwc_expanded_gemm`). Empty otherwise.
    public let packedRowExpanded: [PackedInt8Matrix]
    /// Where AMX-INT8 is usable, the dilation along x is 1 and a group's channels are whole 4-byte
    /// words: the weights with rows in
    /// (ky, kx·cg + c) order, each ky's `kw·cg` rows followed by zero rows up to a multiple of 64,
    /// for the AMX kernel that reads each ky's taps as one run of the image
    /// (`foedus_u8_conv_nhwc_amx`). Empty otherwise.
    public let packedAMX: [PackedInt8Matrix]

    /// - Parameter weights: OIHW int8, `[outChannels, inChannels/groups, kh, kw]`.
    /// - Preconditions: channels divisible by `groups`; positive kernel, stride, dilation;
    ///   non-negative padding.
    public init(weights: [Int8], inChannels: Int, outChannels: Int, kernel: (h: Int, w: Int),
                stride: (h: Int, w: Int) = (1, 1), padding: (h: Int, w: Int) = (0, 0),
                dilation: (h: Int, w: Int) = (1, 1), groups: Int = 1) {
        precondition(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                     "IntegerConv2D: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        precondition(kernel.h >= 1 && kernel.w >= 1 && stride.h >= 1 && stride.w >= 1 && dilation.h >= 1 && dilation.w >= 1
                     && padding.h >= 0 && padding.w >= 0, "IntegerConv2D: invalid geometry")
        let cg = inChannels / groups, og = outChannels / groups, ckk = cg * kernel.h * kernel.w
        precondition(weights.count == outChannels * ckk, "IntegerConv2D: \(weights.count) weights, expected \(outChannels * ckk)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        packed = weights.withUnsafeBufferPointer { w in
            (0..<groups).map { g in
                // B[k][o] = W[g·og + o][k]: a row-major [og, ckk] block read transposed.
                PackedInt8Matrix(w.baseAddress! + g * og * ckk, k: ckk, n: og, strideK: 1, strideN: ckk)
            }
        }
        // OIHW → O(HW)I, so that a row of the channels-last im2col meets its weights in order.
        let taps = kernel.h * kernel.w
        var hwc = [Int8](repeating: 0, count: weights.count)
        for o in 0..<outChannels { for c in 0..<cg { for t in 0..<taps { hwc[o * ckk + t * cg + c] = weights[o * ckk + c * taps + t] } } }
        packedChannelsLast = hwc.withUnsafeBufferPointer { w in
            (0..<groups).map { g in PackedInt8Matrix(w.baseAddress! + g * og * ckk, k: ckk, n: og, strideK: 1, strideN: ckk) }
        }
        packedRowExpanded = cg % 4 == 0 ? [] : Self.rowPadded(hwc, outChannels: outChannels, groups: groups, kernel: kernel, cg: cg, multiple: 4)
        // A one-channel convolution (conv1) is faster on VNNI: its 3-byte rows would fill 64-byte
        // K chunks, and its outputs' epilogue dominates either way.
        packedAMX = IntegerGEMM.amxAvailable && dilation.w == 1 && cg % 4 == 0
            ? Self.rowPadded(hwc, outChannels: outChannels, groups: groups, kernel: kernel, cg: cg, multiple: 64) : []
    }

    /// O(HW)I weights (`hwc`) as one packed matrix per group with rows in (ky, kx·cg + c) order,
    /// each ky's `kw·cg` rows followed by zero rows up to a multiple of `multiple`.
    private static func rowPadded(_ hwc: [Int8], outChannels: Int, groups: Int, kernel: (h: Int, w: Int), cg: Int,
                                  multiple: Int) -> [PackedInt8Matrix] {
        let og = outChannels / groups, row = kernel.w * cg, ckk = kernel.h * row
        let padded = (row + multiple - 1) / multiple * multiple, k = kernel.h * padded
        var expanded = [Int8](repeating: 0, count: outChannels * k)
        for o in 0..<outChannels { for ky in 0..<kernel.h { for j in 0..<row { expanded[o * k + ky * padded + j] = hwc[o * ckk + ky * row + j] } } }
        return expanded.withUnsafeBufferPointer { w in
            (0..<groups).map { g in PackedInt8Matrix(w.baseAddress! + g * og * k, k: k, n: og, strideK: 1, strideN: k) }
        }
    }

    /// Output spatial size for an `h × w` input.
    public func outputSize(h: Int, w: Int) -> (h: Int, w: Int) {
        ((h + 2 * padding.h - dilation.h * (kernel.h - 1) - 1) / stride.h + 1,
         (w + 2 * padding.w - dilation.w * (kernel.w - 1) - 1) / stride.w + 1)
    }

    /// Forward pass on uint8 input (`signed: false`) or int8 input passed as its bit pattern
    /// (`signed: true`). `y` is NCHW int32, overwritten.
    /// - Preconditions: the output size is positive; `bias` has `outChannels` entries.
    public func forward(_ x: UnsafePointer<UInt8>, signed: Bool, batch: Int, h: Int, w: Int, zeroPoint: Int32,
                        bias: UnsafePointer<Int32>?, into y: UnsafeMutablePointer<Int32>,
                        backend: IntegerBackend = .automatic) {
        let (oh, ow) = outputSize(h: h, w: w)
        precondition(batch >= 0 && oh >= 1 && ow >= 1, "IntegerConv2D: empty output for input \(h)×\(w)")
        precondition(signed ? (-128...127).contains(zeroPoint) : (0...255).contains(zeroPoint),
                     "IntegerConv2D: zero point \(zeroPoint) outside the input type")
        let cg = inChannels / groups, og = outChannels / groups, ckk = cg * kernel.h * kernel.w, pixels = oh * ow
        let col = UnsafeMutablePointer<UInt8>.allocate(capacity: pixels * ckk)
        let out = UnsafeMutablePointer<Int32>.allocate(capacity: pixels * og)
        defer { col.deallocate(); out.deallocate() }
        let pad = UInt8(truncatingIfNeeded: zeroPoint)
        for n in 0..<batch {
            for g in 0..<groups {
                foedus_i8_im2col_rows(x + (n * inChannels + g * cg) * h * w, cg, h, w, kernel.h, kernel.w,
                                      stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, oh, ow, pad, col)
                let groupBias = bias.map { $0 + g * og }
                if signed {
                    IntegerGEMM.multiply(UnsafeRawPointer(col).assumingMemoryBound(to: Int8.self), lda: ckk, m: pixels,
                                         packed[g], aZeroPoint: zeroPoint, bias: groupBias, into: out, ldc: og, backend: backend)
                } else {
                    IntegerGEMM.multiply(UnsafePointer(col), lda: ckk, m: pixels, packed[g], aZeroPoint: zeroPoint,
                                         bias: groupBias, into: out, ldc: og, backend: backend)
                }
                let yg = y + (n * outChannels + g * og) * pixels
                // Tiles of 16 pixels: both the [pixels, og] reads and the NCHW writes stay on short
                // runs instead of one strided write per value.
                for p0 in Swift.stride(from: 0, to: pixels, by: 16) {
                    let p1 = Swift.min(p0 + 16, pixels)
                    for o in 0..<og {
                        let dst = yg + o * pixels
                        for p in p0..<p1 { dst[p] = out[p * og + o] }
                    }
                }
            }
        }
    }

    /// Channels-last forward pass: `x` is NHWC (`[batch, h, w, inChannels]`, uint8, or int8 as its
    /// bit pattern with `signed: true`), `y` is NHWC int32 `[batch, oh, ow, outChannels]`,
    /// overwritten. The GEMM writes its `[pixels, O/G]` blocks straight into `y`: no transpose.
    /// Equal to ``forward(_:signed:batch:h:w:zeroPoint:bias:into:backend:)`` on the NCHW input,
    /// transposed.
    public func forwardChannelsLast(_ x: UnsafePointer<UInt8>, signed: Bool, batch: Int, h: Int, w: Int, zeroPoint: Int32,
                                    bias: UnsafePointer<Int32>?, into y: UnsafeMutablePointer<Int32>,
                                    backend: IntegerBackend = .automatic) {
        channelsLast(x, signed: signed, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: bias, output: .int32(y), requantizer: nil,
                     backend: backend)
    }

    /// ``forwardChannelsLast(_:signed:batch:h:w:zeroPoint:bias:into:backend:)`` with the output
    /// requantized per channel in the GEMM's epilogue (NHWC `[batch, oh, ow, outChannels]`): bytes,
    /// what an int8 layer hands the next one, or int32 values (e.g. a normalisation's input scale).
    /// Equal to the int32 forward pass followed by the requantizer.
    /// - Precondition: `requantizer` has `outChannels` channels; uint8 input.
    public func forwardChannelsLast(_ x: UnsafePointer<UInt8>, batch: Int, h: Int, w: Int, zeroPoint: Int32,
                                    bias: UnsafePointer<Int32>?, requantizer: ChannelRequantizer,
                                    into out: IntegerGEMM.RequantizedOutput, backend: IntegerBackend = .automatic) {
        precondition(requantizer.dyadics.count == outChannels, "IntegerConv2D: \(requantizer.dyadics.count) requantizer channels for \(outChannels)")
        channelsLast(x, signed: false, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: bias, output: out, requantizer: requantizer,
                     backend: backend)
    }

    /// The channels-last pass: with a requantizer, `output` receives the requantized values and the
    /// int32 partial sums of one block of images live in scratch; without, `output` is `.int32`.
    private func channelsLast(_ x: UnsafePointer<UInt8>, signed: Bool, batch: Int, h: Int, w: Int, zeroPoint: Int32,
                              bias: UnsafePointer<Int32>?, output: IntegerGEMM.RequantizedOutput,
                              requantizer: ChannelRequantizer?, backend: IntegerBackend) {
        let (oh, ow) = outputSize(h: h, w: w)
        precondition(batch >= 0 && oh >= 1 && ow >= 1, "IntegerConv2D: empty output for input \(h)×\(w)")
        precondition(signed ? (-128...127).contains(zeroPoint) : (0...255).contains(zeroPoint),
                     "IntegerConv2D: zero point \(zeroPoint) outside the input type")
        let cg = inChannels / groups, og = outChannels / groups, ckk = cg * kernel.h * kernel.w, pixels = oh * ow
        // Several images per GEMM (their rows are consecutive in the output): fewer, taller GEMM
        // calls, with the column block kept near 1 MB so it stays in L2 between im2col and the GEMM.
        let imagesPerBlock = Swift.max(1, Swift.min(batch, (1 << 20) / Swift.max(1, pixels * ckk)))
        // On VNNI the GEMM reads its rows from the images (implicit im2col): no column block is
        // written. Taps of whole 4-byte words are read in place; other channel counts have each
        // output column's taps laid side by side first (a kh × 1 convolution over those rows).
        let implicit = !signed && backend.resolved == .vnni
        let col = implicit ? nil : UnsafeMutablePointer<UInt8>.allocate(capacity: imagesPerBlock * pixels * ckk)
        let partial = requantizer == nil ? nil : UnsafeMutablePointer<Int32>.allocate(capacity: imagesPerBlock * pixels * outChannels)
        defer { col?.deallocate(); partial?.deallocate() }
        // Each group's slice of the requantizer, built once.
        let slices = requantizer.map { r in
            groups == 1 ? [r] : (0..<groups).map { g in
                ChannelRequantizer(dyadics: Array(r.dyadics[(g * og)..<((g + 1) * og)]), zeroPoint: r.zeroPoint, clamp: r.clamp)
            }
        }
        let pad = UInt8(truncatingIfNeeded: zeroPoint)
        for n0 in Swift.stride(from: 0, to: batch, by: imagesPerBlock) {
            let images = Swift.min(imagesPerBlock, batch - n0)
            for g in 0..<groups {
                let groupBias = bias.map { $0 + g * og }
                let target = output.advanced(by: n0 * pixels * outChannels + g * og)
                if implicit {
                    implicitGEMM(x + n0 * h * w * inChannels, images: images, h: h, w: w, group: g, oh: oh, ow: ow, pad: pad,
                                 zeroPoint: zeroPoint, bias: groupBias, requantizer: slices?[g], partialSums: partial.map { $0 + g * og },
                                 into: target, backend: backend)
                    continue
                }
                let col = col!
                for i in 0..<images {
                    foedus_u8_im2col_nhwc(x + (n0 + i) * h * w * inChannels, h, w, inChannels, g * cg, cg, kernel.h, kernel.w,
                                          stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, oh, ow, pad,
                                          col + i * pixels * ckk)
                }
                if let slices, let partial {
                    IntegerGEMM.multiply(UnsafePointer(col), lda: ckk, m: images * pixels, packedChannelsLast[g], aZeroPoint: zeroPoint,
                                         bias: groupBias, requantizer: slices[g], partialSums: partial + g * og, ldc: outChannels,
                                         into: target, ldo: outChannels, backend: backend)
                } else if case .int32(let out) = target {
                    if signed {
                        IntegerGEMM.multiply(UnsafeRawPointer(col).assumingMemoryBound(to: Int8.self), lda: ckk, m: images * pixels,
                                             packedChannelsLast[g], aZeroPoint: zeroPoint, bias: groupBias, into: out, ldc: outChannels,
                                             backend: backend)
                    } else {
                        IntegerGEMM.multiply(UnsafePointer(col), lda: ckk, m: images * pixels, packedChannelsLast[g], aZeroPoint: zeroPoint,
                                             bias: groupBias, into: out, ldc: outChannels, backend: backend)
                    }
                }
            }
        }
    }

    /// The kernels of ``implicitGEMM(_:images:h:w:group:oh:ow:pad:zeroPoint:bias:requantizer:partialSums:into:backend:)``.
    private enum ImplicitKernel {
        /// `foedus_u8_conv_nhwc_amx` with ``packedAMX``.
        case amx
        /// `foedus_u8_conv_nhwc_gemm` (taps of whole words, in place) with ``packedChannelsLast``.
        case inPlace
        /// `foedus_u8_conv_nhwc_expanded_gemm` (taps laid side by side) with ``packedRowExpanded``.
        case expanded
    }

    /// One group of `images` images through the AMX kernel where it is usable, else the VNNI
    /// implicit-im2col kernel (`foedus_u8_conv_nhwc_gemm`, or `foedus_u8_conv_nhwc_expanded_gemm`
    /// when the group's channels are not whole words): the same products, sums and epilogue as
    /// im2col + ``IntegerGEMM`` multiply, so the same integers.
    private func implicitGEMM(_ x: UnsafePointer<UInt8>, images: Int, h: Int, w: Int, group g: Int, oh: Int, ow: Int, pad: UInt8,
                              zeroPoint: Int32, bias: UnsafePointer<Int32>?, requantizer r: ChannelRequantizer?,
                              partialSums: UnsafeMutablePointer<Int32>?, into target: IntegerGEMM.RequantizedOutput, backend: IntegerBackend) {
        let cg = inChannels / groups
        var bytes: UnsafeMutablePointer<UInt8>?, values: UnsafeMutablePointer<Int32>?
        switch target {
        case .bytes(let p): bytes = p.assumingMemoryBound(to: UInt8.self)
        case .int32(let p): values = p
        }
        // Without a requantizer the int32 output is C itself.
        let c = partialSums ?? values!
        let multipliers = r?.multipliers ?? [], shifts = r?.shifts ?? []
        func run(_ form: ImplicitKernel) -> Int32 {
            let b = form == .amx ? packedAMX[g] : form == .expanded ? packedRowExpanded[g] : packedChannelsLast[g]
            return b.bytes.withUnsafeBufferPointer { packed in
                b.columnSums.withUnsafeBufferPointer { colsum in
                    multipliers.withUnsafeBufferPointer { rb in
                        shifts.withUnsafeBufferPointer { rc in
                            let rbp = r == nil ? nil : rb.baseAddress, rcp = r == nil ? nil : rc.baseAddress
                            let zero = r?.zeroPoint ?? 0, lo = r?.clamp.lowerBound ?? 0, hi = r?.clamp.upperBound ?? 0
                            let out32 = r == nil ? nil : values
                            switch form {
                            case .amx:
                                return foedus_u8_conv_nhwc_amx(x, images, h, w, inChannels, g * cg, cg, kernel.h, kernel.w, stride.h, stride.w,
                                                               padding.h, padding.w, dilation.h, dilation.w, oh, ow, pad, packed.baseAddress,
                                                               colsum.baseAddress, b.n, zeroPoint, bias, c, outChannels, rbp, rcp, zero, lo, hi,
                                                               bytes, out32, outChannels)
                            case .inPlace:
                                return foedus_u8_conv_nhwc_gemm(x, images, h, w, inChannels, g * cg, cg, kernel.h, kernel.w, stride.h, stride.w,
                                                                padding.h, padding.w, dilation.h, dilation.w, oh, ow, pad, packed.baseAddress,
                                                                colsum.baseAddress, b.n, zeroPoint, bias, c, outChannels, rbp, rcp, zero, lo, hi,
                                                                bytes, out32, outChannels, backend.rawValue)
                            case .expanded:
                                return foedus_u8_conv_nhwc_expanded_gemm(x, images, h, w, inChannels, g * cg, cg, kernel.h, kernel.w, stride.h,
                                                                         stride.w, padding.h, padding.w, dilation.h, dilation.w, oh, ow, pad,
                                                                         packed.baseAddress, colsum.baseAddress, b.n, zeroPoint, bias, c,
                                                                         outChannels, rbp, rcp, zero, lo, hi, bytes, out32, outChannels,
                                                                         backend.rawValue)
                            }
                        }
                    }
                }
            }
        }
        // -3 from the AMX kernel: AMX forbidden at run time (IntegerGEMM.allowAMX), so VNNI.
        var status: Int32 = packedAMX.isEmpty ? -3 : run(.amx)
        if status == -3 { status = run(cg % 4 == 0 ? .inPlace : .expanded) }
        precondition(status == 0, "IntegerConv2D: the implicit-im2col GEMM failed (status \(status))")
    }

    /// Array form of ``forwardChannelsLast(_:signed:batch:h:w:zeroPoint:bias:into:backend:)`` for
    /// uint8 NHWC input; returns NHWC int32.
    public func forwardChannelsLast(_ x: [UInt8], batch: Int, h: Int, w: Int, zeroPoint: Int32 = 0, bias: [Int32]? = nil,
                                    backend: IntegerBackend = .automatic) -> [Int32] {
        forwardArray(x, signed: false, channelsLast: true, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: bias, backend: backend)
    }

    /// Array form for uint8 input `[batch, inChannels, h, w]`; returns NCHW int32.
    public func forward(_ x: [UInt8], batch: Int, h: Int, w: Int, zeroPoint: Int32 = 0, bias: [Int32]? = nil,
                        backend: IntegerBackend = .automatic) -> [Int32] {
        forwardArray(x, signed: false, channelsLast: false, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: bias, backend: backend)
    }

    /// Array form for int8 input `[batch, inChannels, h, w]`; returns NCHW int32.
    public func forward(_ x: [Int8], batch: Int, h: Int, w: Int, zeroPoint: Int32 = 0, bias: [Int32]? = nil,
                        backend: IntegerBackend = .automatic) -> [Int32] {
        forwardArray(x.map { UInt8(bitPattern: $0) }, signed: true, channelsLast: false, batch: batch, h: h, w: w, zeroPoint: zeroPoint,
                     bias: bias, backend: backend)
    }

    private func forwardArray(_ x: [UInt8], signed: Bool, channelsLast: Bool, batch: Int, h: Int, w: Int, zeroPoint: Int32,
                              bias: [Int32]?, backend: IntegerBackend) -> [Int32] {
        precondition(x.count == batch * inChannels * h * w, "IntegerConv2D: input has \(x.count) values")
        precondition(bias == nil || bias!.count == outChannels, "IntegerConv2D: bias needs \(outChannels) entries")
        let (oh, ow) = outputSize(h: h, w: w)
        var y = [Int32](repeating: 0, count: batch * outChannels * oh * ow)
        func run(_ px: UnsafePointer<UInt8>, _ pb: UnsafePointer<Int32>?, _ py: UnsafeMutablePointer<Int32>) {
            if channelsLast {
                forwardChannelsLast(px, signed: signed, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: pb, into: py, backend: backend)
            } else {
                forward(px, signed: signed, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: pb, into: py, backend: backend)
            }
        }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                if let bias {
                    bias.withUnsafeBufferPointer { run(px.baseAddress!, $0.baseAddress, py.baseAddress!) }
                } else {
                    run(px.baseAddress!, nil, py.baseAddress!)
                }
            }
        }
        return y
    }

    /// Scalar reference twin: the direct convolution loop (wrapping Int32), padding skipped
    /// (a tap at the zero point contributes 0).
    public static func reference<X: BinaryInteger>(
        _ x: [X], weights: [Int8], batch: Int, inChannels: Int, h: Int, w: Int, outChannels: Int,
        kernel: (h: Int, w: Int), stride: (h: Int, w: Int), padding: (h: Int, w: Int), dilation: (h: Int, w: Int),
        groups: Int, zeroPoint: Int32, bias: [Int32]?
    ) -> [Int32] {
        let cg = inChannels / groups, og = outChannels / groups
        let oh = (h + 2 * padding.h - dilation.h * (kernel.h - 1) - 1) / stride.h + 1
        let ow = (w + 2 * padding.w - dilation.w * (kernel.w - 1) - 1) / stride.w + 1
        var y = [Int32](repeating: 0, count: batch * outChannels * oh * ow)
        for n in 0..<batch { for o in 0..<outChannels {
            let g = o / og
            for oy in 0..<oh { for ox in 0..<ow {
                var s: Int32 = bias?[o] ?? 0
                for c in 0..<cg { for ky in 0..<kernel.h { for kx in 0..<kernel.w {
                    let iy = oy * stride.h - padding.h + ky * dilation.h, ix = ox * stride.w - padding.w + kx * dilation.w
                    guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                    let xv = Int32(x[((n * inChannels + g * cg + c) * h + iy) * w + ix]) &- zeroPoint
                    s = s &+ xv &* Int32(weights[((o * cg + c) * kernel.h + ky) * kernel.w + kx])
                } } }
                y[((n * outChannels + o) * oh + oy) * ow + ox] = s
            } }
        } }
        return y
    }
}
