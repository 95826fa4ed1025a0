extension ByteImage {
    /// Paints the square of side `size` whose top-left pixel is (`top`, `left`) with
    /// `fill[c]` in channel c, clipped to the image (negative `top`/`left` clip too).
    /// `size ≤ 0` leaves the image unchanged.
    ///
    /// - Precondition: `fill.count == channels`.
    public func cuttingOut(top: Int, left: Int, size: Int, fill: [UInt8]) -> ByteImage {
        precondition(fill.count == channels, "[ByteImage.cuttingOut] \(fill.count) fill values for \(channels) channels")
        let y0 = max(0, top), y1 = min(height, top + size)
        let x0 = max(0, left), x1 = min(width, left + size)
        guard y1 > y0 && x1 > x0 else { return self }
        var out = pixels
        for c in 0..<channels {
            for y in y0..<y1 {
                let row = (c * height + y) * width
                for x in x0..<x1 { out[row + x] = fill[c] }
            }
        }
        return with(pixels: out)
    }
}
