import CFoedusKernels

extension IBert.GroupNorm {
    /// i-GroupNorm of a residual block's main branch fused with the block's end: channels-last `x`
    /// (`[samples, spatial, channels]`) normalised to int32 in this norm's clamp, plus `shortcut`,
    /// requantized by `output` to bytes — the same integers as
    /// ``applyChannelsLast(_:samples:into:backend:)`` (int32) followed by
    /// ``IntegerResidual/addRequantize(_:_:count:output:into:backend:)``, without storing the
    /// normalised values. One pass reads the statistics, a second writes the bytes.
    /// - Precondition: `output.clamp ⊆ 0…255`; `x`, `shortcut` and `out` hold `samples · spatial · channels` values.
    public func applyChannelsLast(_ x: UnsafePointer<Int32>, samples: Int, adding shortcut: IntegerResidual.Shortcut, output: Requantizer,
                                  into out: UnsafeMutablePointer<UInt8>, backend: IntegerBackend = .automatic) {
        precondition(output.clamp.lowerBound >= 0 && output.clamp.upperBound <= 255, "IBert.GroupNorm: clamp \(output.clamp) does not fit UInt8")
        let scratch = UnsafeMutablePointer<Int64>.allocate(capacity: 9 * channels)
        defer { scratch.deallocate() }
        shortcut.withKernelArguments { bytes, table, values in
            foedus_igroupnorm_nhwc_residual_u8(x, samples, channels, groups, spatial, kernelB, kernelC, affine.signs, affine.betas,
                                               Int64(affine.clamp.lowerBound), Int64(affine.clamp.upperBound), bytes, table, values,
                                               output.dyadic.b, Int32(output.dyadic.c), output.zeroPoint, output.clamp.lowerBound,
                                               output.clamp.upperBound, scratch, out, backend.rawValue)
        }
    }
}
