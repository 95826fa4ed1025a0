extension PortableKernels {
    /// 2-D convolution (cross-correlation, as in PyTorch) without bias; same definition as
    /// `ReferenceKernels.conv2dForward`.
    ///
    /// Per batch item and group: im2col of the input into a `[Cg·kh·kw, outH·outW]` matrix, then
    /// `y[n, group] = w[group] · col`. A 1×1 kernel with stride 1 and no padding skips im2col.
    /// - Layouts: see `Conv2DGeometry` (x NCHW, w OIHW, y NCHW); `y` is overwritten.
    /// - Precondition: `geometry.isValid`; `y` does not overlap `x` or `w`.
    /// - Complexity: `geometry.multiplyAdds` plus `O(batch·inChannels·kh·kw·outH·outW)` copying;
    ///   scratch of `Cg·kh·kw·outH·outW` doubles.
    public static func conv2dForward(
        x: UnsafePointer<Double>, w: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>,
        geometry g: Conv2DGeometry
    ) {
        precondition(g.isValid, "PortableKernels.conv2dForward: \(g.validationError ?? "")")
        let lowering = ColumnLowering(g)
        let col = lowering.allocateColumns()
        defer { col?.deallocate() }
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                let columns = lowering.columns(of: x, item: n, group: group, scratch: col)
                gemm(a: w + group * lowering.weightsPerGroup, b: columns,
                     c: y + lowering.outputOffset(item: n, group: group),
                     m: g.outChannelsPerGroup, n: lowering.pixels, k: lowering.rows,
                     transposeA: false, accumulate: false)
            }
        }
    }

    /// Gradient of `conv2dForward` with respect to its input.
    ///
    /// Per batch item and group: `col = w[group]ᵀ · gradOutput[n, group]`, then col2im adds
    /// every column entry back onto the input pixel it came from.
    /// - Layouts: `gradOutput` like `y`, `w` OIHW, `gradInput` like `x` (overwritten; entries no
    ///   window reaches are zero).
    /// - Precondition: `geometry.isValid`; `gradInput` does not overlap the other operands.
    /// - Complexity: `geometry.multiplyAdds` plus col2im; scratch of `Cg·kh·kw·outH·outW` doubles.
    public static func conv2dBackwardData(
        gradOutput: UnsafePointer<Double>, w: UnsafePointer<Double>, gradInput: UnsafeMutablePointer<Double>,
        geometry g: Conv2DGeometry
    ) {
        precondition(g.isValid, "PortableKernels.conv2dBackwardData: \(g.validationError ?? "")")
        let lowering = ColumnLowering(g)
        if lowering.isIdentity {
            // The column matrix is the input slice itself: write the product straight into it.
            for n in 0..<g.batch {
                for group in 0..<g.groups {
                    gemm(a: w + group * lowering.weightsPerGroup,
                         b: gradOutput + lowering.outputOffset(item: n, group: group),
                         c: gradInput + lowering.inputOffset(item: n, group: group),
                         m: lowering.rows, n: lowering.pixels, k: g.outChannelsPerGroup,
                         transposeA: true, accumulate: false)
                }
            }
            return
        }
        gradInput.initialize(repeating: 0, count: g.inputCount)
        let col = UnsafeMutablePointer<Double>.allocate(capacity: lowering.rows * lowering.pixels)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                gemm(a: w + group * lowering.weightsPerGroup,
                     b: gradOutput + lowering.outputOffset(item: n, group: group), c: col,
                     m: lowering.rows, n: lowering.pixels, k: g.outChannelsPerGroup,
                     transposeA: true, accumulate: false)
                lowering.addColumns(col, into: gradInput, item: n, group: group)
            }
        }
    }

    /// Gradient of `conv2dForward` with respect to its weights, summed over the batch.
    ///
    /// Per batch item and group: `gradWeight[group] += gradOutput[n, group] · colᵀ`.
    /// - Layouts: `x` NCHW, `gradOutput` like `y`, `gradWeight` OIHW (overwritten).
    /// - Precondition: `geometry.isValid`; `gradWeight` does not overlap the other operands.
    /// - Complexity: `geometry.multiplyAdds` plus im2col and a transpose of each column matrix;
    ///   scratch of `2·Cg·kh·kw·outH·outW` doubles.
    public static func conv2dBackwardWeights(
        x: UnsafePointer<Double>, gradOutput: UnsafePointer<Double>, gradWeight: UnsafeMutablePointer<Double>,
        geometry g: Conv2DGeometry
    ) {
        precondition(g.isValid, "PortableKernels.conv2dBackwardWeights: \(g.validationError ?? "")")
        let lowering = ColumnLowering(g)
        gradWeight.initialize(repeating: 0, count: g.weightCount)
        let col = lowering.allocateColumns()
        defer { col?.deallocate() }
        // The product needs colᵀ ([pixels, rows]) as a contiguous right-hand side.
        let colT = UnsafeMutablePointer<Double>.allocate(capacity: lowering.rows * lowering.pixels)
        defer { colT.deallocate() }
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                let columns = lowering.columns(of: x, item: n, group: group, scratch: col)
                transpose(columns, rows: lowering.rows, columns: lowering.pixels, into: colT)
                gemm(a: gradOutput + lowering.outputOffset(item: n, group: group), b: colT,
                     c: gradWeight + group * lowering.weightsPerGroup,
                     m: g.outChannelsPerGroup, n: lowering.rows, k: lowering.pixels,
                     transposeA: false, accumulate: true)
            }
        }
    }
}
