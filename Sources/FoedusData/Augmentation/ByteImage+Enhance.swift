extension ByteImage {
    /// PIL `Image.blend(degenerate, self, factor)`: x ↦ clamp(⌊d + factor · (x − d)⌋, 0, 255)
    /// computed in `Float`, where d is the degenerate image's byte at the same place. Factor 1
    /// returns `self`, 0 the degenerate image, > 1 extrapolates away from it.
    func blended(from degenerate: [UInt8], factor: Float) -> ByteImage {
        var out = pixels
        for i in out.indices {
            let d = Float(degenerate[i])
            let value = (d + factor * (Float(pixels[i]) - d)).rounded(.down)
            out[i] = value <= 0 ? 0 : (value >= 255 ? 255 : UInt8(value))
        }
        return with(pixels: out)
    }

    /// The ITU-R 601-2 luma of an RGB image, PIL's `convert("L")` in 16-bit fixed point:
    /// L = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16, one plane.
    /// - Precondition: `channels == 3`.
    func luma() -> [UInt8] {
        precondition(channels == 3, "[ByteImage.luma] needs 3 channels, got \(channels)")
        let plane = planeSize
        return (0..<plane).map { i in
            let sum = 19595 * Int(pixels[i]) + 38470 * Int(pixels[plane + i]) + 7471 * Int(pixels[2 * plane + i]) + 0x8000
            return UInt8(sum >> 16)
        }
    }

    /// PIL `ImageEnhance.Brightness`: blend from black, x ↦ clamp(⌊factor · x⌋).
    public func adjustingBrightness(_ factor: Float) -> ByteImage {
        blended(from: [UInt8](repeating: 0, count: pixels.count), factor: factor)
    }

    /// PIL `ImageEnhance.Color` (saturation): blend from the grey image, every channel of
    /// which is the luma (see `luma`). On images that are not 3-channel there is no colour to
    /// change and the image is returned unchanged.
    public func adjustingColor(_ factor: Float) -> ByteImage {
        guard channels == 3 else { return self }
        let grey = luma()
        return blended(from: grey + grey + grey, factor: factor)
    }

    /// PIL `ImageEnhance.Contrast`: blend from a constant image of value
    /// m = ⌊mean + ½⌋, the mean being that of the luma for RGB and of all bytes otherwise.
    public func adjustingContrast(_ factor: Float) -> ByteImage {
        let source = channels == 3 ? luma() : pixels
        let total = source.reduce(0) { $0 + Int($1) }
        let mean = UInt8((2 * total + source.count) / (2 * source.count))
        return blended(from: [UInt8](repeating: mean, count: pixels.count), factor: factor)
    }

    /// PIL `ImageEnhance.Sharpness`: blend from the image smoothed per channel by the 3×3
    /// kernel [1 1 1; 1 5 1; 1 1 1] / 13 (rounded to nearest), the outermost rows and columns
    /// of the smoothed image being the original bytes. Factor > 1 sharpens, < 1 blurs.
    public func adjustingSharpness(_ factor: Float) -> ByteImage {
        var smooth = pixels
        if height >= 3 && width >= 3 {
            for c in 0..<channels {
                let base = c * planeSize
                for y in 1..<(height - 1) {
                    for x in 1..<(width - 1) {
                        let centre = base + y * width + x, above = centre - width, below = centre + width
                        let top = Int(pixels[above - 1]) + Int(pixels[above]) + Int(pixels[above + 1])
                        let middle = Int(pixels[centre - 1]) + 5 * Int(pixels[centre]) + Int(pixels[centre + 1])
                        let bottom = Int(pixels[below - 1]) + Int(pixels[below]) + Int(pixels[below + 1])
                        smooth[centre] = UInt8((top + middle + bottom + 6) / 13)
                    }
                }
            }
        }
        return blended(from: smooth, factor: factor)
    }
}
