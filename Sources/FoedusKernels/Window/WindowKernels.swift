/// Unfold (im2col), fold (col2im) and max-pool index selection for one image (C×H×W).
/// Callers loop over the batch. Fold is the exact adjoint of unfold.
public enum WindowKernels {
    /// `cols[(c·kh·kw + i·kw + j), (oy·ow + ox)] = x[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]`,
    /// zero where the window reads padding. `cols` has `C·kh·kw × oh·ow` elements.
    @inlinable
    public static func unfold<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, _ cols: UnsafeMutablePointer<T>, _ g: WindowGeometry) {
        let oh = g.outHeight, ow = g.outWidth, l = oh * ow
        var row = 0
        for c in 0..<g.channels {
            let xc = x + c * g.height * g.width
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let dst = cols + row * l
                    for oy in 0..<oh {
                        let iy = oy * g.strideH - g.padH + i * g.dilationH
                        let drow = dst + oy * ow
                        if iy < 0 || iy >= g.height {
                            drow.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = xc + iy * g.width
                        let valid = g.validColumns(kernelColumn: j)
                        let offset = j * g.dilationW - g.padW
                        for ox in 0..<valid.lowerBound { drow[ox] = 0 }
                        if g.strideW == 1 {
                            let s1 = src + offset
                            for ox in valid { drow[ox] = s1[ox] }
                        } else {
                            for ox in valid { drow[ox] = src[ox * g.strideW + offset] }
                        }
                        for ox in valid.upperBound..<ow { drow[ox] = 0 }
                    }
                    row += 1
                }
            }
        }
    }

    /// Adjoint of ``unfold(_:_:_:)``: `x` (zeroed here) accumulates every column entry at the
    /// input position it was read from.
    @inlinable
    public static func fold<T: BinaryFloatingPoint>(_ cols: UnsafePointer<T>, _ x: UnsafeMutablePointer<T>, _ g: WindowGeometry) {
        let oh = g.outHeight, ow = g.outWidth, l = oh * ow
        x.update(repeating: 0, count: g.channels * g.height * g.width)
        var row = 0
        for c in 0..<g.channels {
            let xc = x + c * g.height * g.width
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let src = cols + row * l
                    for oy in 0..<oh {
                        let iy = oy * g.strideH - g.padH + i * g.dilationH
                        if iy < 0 || iy >= g.height { continue }
                        let drow = xc + iy * g.width
                        let srow = src + oy * ow
                        let offset = j * g.dilationW - g.padW
                        let valid = g.validColumns(kernelColumn: j)
                        if g.strideW == 1 {
                            let d1 = drow + offset
                            for ox in valid { d1[ox] += srow[ox] }
                        } else {
                            for ox in valid { drow[ox * g.strideW + offset] += srow[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// For each channel and output position, the flat index `y·W + x` of the window maximum
    /// (padding never wins; the first maximum in row-major window order wins ties; NaN wins,
    /// as in PyTorch). `indices` has `C·oh·ow` entries.
    @inlinable
    public static func maxPoolIndices<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, _ indices: UnsafeMutablePointer<Int32>, _ g: WindowGeometry) {
        let oh = g.outHeight, ow = g.outWidth
        for c in 0..<g.channels {
            let xc = x + c * g.height * g.width
            let ic = indices + c * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -T.infinity
                    var bestIndex = -1
                    for i in 0..<g.kernelH {
                        let iy = oy * g.strideH - g.padH + i * g.dilationH
                        if iy < 0 || iy >= g.height { continue }
                        for j in 0..<g.kernelW {
                            let ix = ox * g.strideW - g.padW + j * g.dilationW
                            if ix < 0 || ix >= g.width { continue }
                            let v = xc[iy * g.width + ix]
                            if bestIndex < 0 || v > best || (v.isNaN && !best.isNaN) {
                                best = v
                                bestIndex = iy * g.width + ix
                            }
                        }
                    }
                    ic[oy * ow + ox] = Int32(bestIndex)
                }
            }
        }
    }
}
