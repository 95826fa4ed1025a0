extension ByteImage {
    /// Maps every byte of channel `c` through `table(c)` (256 entries).
    func mapped(_ table: (Int) -> [UInt8]?) -> ByteImage {
        var out = pixels
        let plane = planeSize
        for c in 0..<channels {
            guard let lut = table(c) else { continue }
            for i in (c * plane)..<((c + 1) * plane) { out[i] = lut[Int(out[i])] }
        }
        return with(pixels: out)
    }

    /// The 256-bin histogram of channel `c`.
    func histogram(channel c: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: 256)
        let plane = planeSize
        for i in (c * plane)..<((c + 1) * plane) { counts[Int(pixels[i])] += 1 }
        return counts
    }

    /// PIL `ImageOps.autocontrast` (no cutoff), per channel: with lo and hi the channel's
    /// smallest and largest byte, x ↦ ⌊(x − lo) · 255 / (hi − lo)⌋; a constant channel is left
    /// unchanged. (PIL evaluates the same map in floating point, `int(x·s − lo·s)`,
    /// s = 255 / (hi − lo); this integer form is exact.)
    public func autoContrasted() -> ByteImage {
        mapped { c in
            let counts = histogram(channel: c)
            guard let lo = counts.firstIndex(where: { $0 > 0 }), let hi = counts.lastIndex(where: { $0 > 0 }), hi > lo else {
                return nil
            }
            return (0..<256).map { x in UInt8(clamping: x < lo ? 0 : (x - lo) * 255 / (hi - lo)) }
        }
    }

    /// PIL `ImageOps.equalize`, per channel: with histogram h, n the channel's byte count and
    /// h_last the count of its largest byte value, step = ⌊(n − h_last) / 255⌋; if the channel
    /// has one distinct value or step = 0 it is left unchanged, otherwise
    /// x ↦ min(255, ⌊(⌊step/2⌋ + Σ_{j<x} h[j]) / step⌋).
    public func equalized() -> ByteImage {
        mapped { c in
            let counts = histogram(channel: c)
            guard let last = counts.lastIndex(where: { $0 > 0 }), counts.filter({ $0 > 0 }).count > 1 else { return nil }
            let step = (planeSize - counts[last]) / 255
            guard step > 0 else { return nil }
            var running = step / 2
            var lut = [UInt8](repeating: 0, count: 256)
            for x in 0..<256 {
                lut[x] = UInt8(clamping: running / step)
                running += counts[x]
            }
            return lut
        }
    }

    /// PIL `ImageOps.posterize`: keeps the top `bits` bits of every byte, x ↦ x & ~(2^(8−bits) − 1).
    /// `bits` is clamped to `0 ... 8`; 8 leaves the image unchanged, 0 makes it black.
    public func posterized(bits: Int) -> ByteImage {
        let kept = min(8, max(0, bits))
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        return with(pixels: pixels.map { $0 & mask })
    }

    /// PIL `ImageOps.solarize`: inverts the bytes at or above `threshold`,
    /// x ↦ x < threshold ? x : 255 − x. 256 (or more) leaves the image unchanged, 0 inverts it.
    public func solarized(threshold: Int) -> ByteImage {
        with(pixels: pixels.map { Int($0) < threshold ? $0 : 255 - $0 })
    }
}
