extension PortableKernels {
    /// The im2col view of one convolution: for batch item `n` and group `g`, the matrix
    /// `col[(c·kh + i)·kw + j, oh·outW + ow] = x[n, g·Cg + c, oh·sH − pH + i·dH, ow·sW − pW + j·dW]`
    /// (zero in the padding), so that the convolution becomes `w[g] · col`.
    struct ColumnLowering {
        let g: Conv2DGeometry
        /// `Cg·kh·kw`: rows of the column matrix, columns of one group's weight matrix.
        let rows: Int
        /// `outH·outW`: columns of the column matrix.
        let pixels: Int
        let outH: Int
        let outW: Int
        /// A 1×1 kernel with unit stride and no padding: the column matrix is the input slice.
        let isIdentity: Bool

        init(_ geometry: Conv2DGeometry) {
            g = geometry
            outH = geometry.outHeight
            outW = geometry.outWidth
            rows = geometry.inChannelsPerGroup * geometry.kernelH * geometry.kernelW
            pixels = outH * outW
            isIdentity = geometry.kernelH == 1 && geometry.kernelW == 1
                && geometry.strideH == 1 && geometry.strideW == 1
                && geometry.padH == 0 && geometry.padW == 0
        }

        var weightsPerGroup: Int { g.outChannelsPerGroup * rows }

        func inputOffset(item n: Int, group: Int) -> Int {
            (n * g.inChannels + group * g.inChannelsPerGroup) * g.height * g.width
        }

        func outputOffset(item n: Int, group: Int) -> Int {
            (n * g.outChannels + group * g.outChannelsPerGroup) * pixels
        }

        /// Scratch for one column matrix, or `nil` when `isIdentity` makes it unnecessary.
        func allocateColumns() -> UnsafeMutablePointer<Double>? {
            isIdentity ? nil : UnsafeMutablePointer<Double>.allocate(capacity: rows * pixels)
        }

        /// The column matrix of `(n, group)`: `x` itself when `isIdentity`, otherwise written
        /// into `scratch` (which must then be non-nil).
        func columns(of x: UnsafePointer<Double>, item n: Int, group: Int,
                     scratch: UnsafeMutablePointer<Double>?) -> UnsafePointer<Double> {
            let source = x + inputOffset(item: n, group: group)
            guard let col = scratch else { return source }
            forEachRow { row, channel, ki, kj in
                let plane = source + channel * g.height * g.width
                let destination = col + row * pixels
                for oh in 0..<outH {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    let line = destination + oh * outW
                    guard ih >= 0 && ih < g.height else {
                        line.initialize(repeating: 0, count: outW)
                        continue
                    }
                    let inputRow = plane + ih * g.width
                    for ow in 0..<outW {
                        let iw = ow * g.strideW - g.padW + kj * g.dilationW
                        line[ow] = iw >= 0 && iw < g.width ? inputRow[iw] : 0
                    }
                }
            }
            return UnsafePointer(col)
        }

        /// col2im: adds each entry of the column matrix `col` onto the input pixel of
        /// `(n, group)` it was read from; padding entries are dropped.
        func addColumns(_ col: UnsafePointer<Double>, into x: UnsafeMutablePointer<Double>, item n: Int, group: Int) {
            let target = x + inputOffset(item: n, group: group)
            forEachRow { row, channel, ki, kj in
                let plane = target + channel * g.height * g.width
                let source = col + row * pixels
                for oh in 0..<outH {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    guard ih >= 0 && ih < g.height else { continue }
                    let inputRow = plane + ih * g.width
                    let line = source + oh * outW
                    for ow in 0..<outW {
                        let iw = ow * g.strideW - g.padW + kj * g.dilationW
                        if iw >= 0 && iw < g.width { inputRow[iw] += line[ow] }
                    }
                }
            }
        }

        private func forEachRow(_ body: (_ row: Int, _ channel: Int, _ ki: Int, _ kj: Int) -> Void) {
            var row = 0
            for channel in 0..<g.inChannelsPerGroup {
                for ki in 0..<g.kernelH {
                    for kj in 0..<g.kernelW {
                        body(row, channel, ki, kj)
                        row += 1
                    }
                }
            }
        }
    }
}
