#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ByteImage {
    /// PIL `Image.transform(size, AFFINE, (a, b, c, d, e, f))` with nearest sampling: output
    /// pixel (x, y) takes the input pixel (⌊a·(x+½) + b·(y+½) + c⌋, ⌊d·(x+½) + e·(y+½) + f⌋)
    /// (pixel centres mapped back into the input), or `fill` in every channel when that lies
    /// outside the image.
    public func affineTransformed(_ a: Double, _ b: Double, _ c: Double,
                                  _ d: Double, _ e: Double, _ f: Double, fill: UInt8) -> ByteImage {
        let plane = planeSize
        // Source offset within a plane for every output pixel, −1 where the fill is used.
        var source = [Int](repeating: -1, count: plane)
        for y in 0..<height {
            let cy = Double(y) + 0.5
            let rowX = b * cy + c, rowY = e * cy + f
            for x in 0..<width {
                let cx = Double(x) + 0.5
                let sx = (a * cx + rowX).rounded(.down), sy = (d * cx + rowY).rounded(.down)
                if sx >= 0 && sx < Double(width) && sy >= 0 && sy < Double(height) {
                    source[y * width + x] = Int(sy) * width + Int(sx)
                }
            }
        }
        var out = [UInt8](repeating: fill, count: pixels.count)
        for ch in 0..<channels {
            let base = ch * plane
            for i in 0..<plane where source[i] >= 0 { out[base + i] = pixels[base + source[i]] }
        }
        return with(pixels: out)
    }

    /// PIL `Image.rotate(degrees)`: counter-clockwise (as displayed) about the image centre
    /// (width/2, height/2), same size, nearest sampling, `fill` outside. Output pixel centre p
    /// samples the input at centre + R(−θ)(p − centre) in image coordinates (y down):
    /// x' = cos θ·dx − sin θ·dy, y' = sin θ·dx + cos θ·dy.
    public func rotated(degrees: Double, fill: UInt8) -> ByteImage {
        let theta = degrees * Double.pi / 180
        let cosine = cos(theta), sine = sin(theta)
        let cx = Double(width) / 2, cy = Double(height) / 2
        return affineTransformed(cosine, -sine, cx - cosine * cx + sine * cy,
                                 sine, cosine, cy - sine * cx - cosine * cy, fill: fill)
    }

    /// Horizontal shear about the top edge, PIL's `(1, s, 0, 0, 1, 0)`: output (x, y) samples
    /// input (x + s·y, y) at pixel centres; nearest, `fill` outside.
    public func shearedX(_ s: Double, fill: UInt8) -> ByteImage {
        affineTransformed(1, s, 0, 0, 1, 0, fill: fill)
    }

    /// Vertical shear about the left edge, PIL's `(1, 0, 0, s, 1, 0)`: output (x, y) samples
    /// input (x, y + s·x); nearest, `fill` outside.
    public func shearedY(_ s: Double, fill: UInt8) -> ByteImage {
        affineTransformed(1, 0, 0, s, 1, 0, fill: fill)
    }

    /// Translation by whole pixels, PIL's `(1, 0, dx, 0, 1, dy)`: output (x, y) is input
    /// (x + dx, y + dy), so positive `dx` moves the content left; `fill` where nothing maps.
    public func translated(x dx: Int, y dy: Int, fill: UInt8) -> ByteImage {
        var out = [UInt8](repeating: fill, count: pixels.count)
        for c in 0..<channels {
            let base = c * planeSize
            for y in max(0, -dy)..<max(max(0, -dy), min(height, height - dy)) {
                for x in max(0, -dx)..<max(max(0, -dx), min(width, width - dx)) {
                    out[base + y * width + x] = pixels[base + (y + dy) * width + x + dx]
                }
            }
        }
        return with(pixels: out)
    }

    /// The mirror image, column x ↦ width − 1 − x.
    public func horizontallyFlipped() -> ByteImage {
        var out = pixels
        for row in 0..<(channels * height) {
            let start = row * width
            for x in 0..<width { out[start + x] = pixels[start + width - 1 - x] }
        }
        return with(pixels: out)
    }

    /// The image padded by `vertical` rows above and below and `horizontal` columns left and
    /// right by reflection without repeating the edge (numpy's and torchvision's `reflect`):
    /// coordinate i < 0 reads −i, i ≥ n reads 2(n − 1) − i.
    ///
    /// - Precondition: `0 ≤ vertical < height` and `0 ≤ horizontal < width`.
    public func reflectPadded(vertical: Int, horizontal: Int) -> ByteImage {
        precondition(vertical >= 0 && vertical < height && horizontal >= 0 && horizontal < width,
                     "[ByteImage.reflectPadded] padding \(vertical)×\(horizontal) for a \(height)×\(width) image")
        let newHeight = height + 2 * vertical, newWidth = width + 2 * horizontal
        var out = [UInt8](repeating: 0, count: channels * newHeight * newWidth)
        for c in 0..<channels {
            for y in 0..<newHeight {
                let sy = Self.reflect(y - vertical, height)
                for x in 0..<newWidth {
                    out[(c * newHeight + y) * newWidth + x] = self[c, sy, Self.reflect(x - horizontal, width)]
                }
            }
        }
        return ByteImage(channels: channels, height: newHeight, width: newWidth, pixels: out)
    }

    /// The `height × width` window whose top-left pixel is (`top`, `left`).
    /// - Precondition: the window lies inside the image.
    public func cropped(top: Int, left: Int, height newHeight: Int, width newWidth: Int) -> ByteImage {
        precondition(top >= 0 && left >= 0 && newHeight > 0 && newWidth > 0 && top + newHeight <= height && left + newWidth <= width,
                     "[ByteImage.cropped] window \(newHeight)×\(newWidth) at (\(top), \(left)) outside \(height)×\(width)")
        var out: [UInt8] = []
        out.reserveCapacity(channels * newHeight * newWidth)
        for c in 0..<channels {
            for y in top..<(top + newHeight) {
                let start = (c * height + y) * width + left
                out += pixels[start..<(start + newWidth)]
            }
        }
        return ByteImage(channels: channels, height: newHeight, width: newWidth, pixels: out)
    }

    /// Reflection of coordinate `i` into `0 ..< n` for |overhang| < n.
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int {
        i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
    }
}
