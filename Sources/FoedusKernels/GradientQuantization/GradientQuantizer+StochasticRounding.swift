import CFoedusKernels

extension GradientQuantizer {
    /// Uniform draws are generated this many at a time into a stack scratch buffer.
    static let uniformChunk = 4096

    /// Stochastically rounds every element with its group's map and packages the result.
    static func encode(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, bits: Int,
                       grouping: AffineCodes.Grouping, parameters: [AffineParameters], key: RandomKey) -> AffineCodes {
        let total = rows * cols
        let codes = [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            if total > 0 {
                stochasticRound(x.baseAddress!, rows: rows, cols: cols, grouping: grouping, parameters: parameters,
                                top: Float((1 << bits) - 1), key: key, into: out.baseAddress!)
            }
            initialized = total
        }
        return AffineCodes(rows: rows, cols: cols, bits: bits, grouping: grouping, codes: codes,
                           step: parameters.map(\.step), offset: parameters.map(\.offset))
    }

    /// `codes[e] = clamp(⌊v⌋ + (u_e < v − ⌊v⌋), 0, top)`, `v = (x[e] − z)·s + c` with the
    /// parameters of element `e`'s group and `u_e` element `e` of `RandomStream(key: key)`'s
    /// rounding uniforms (``RandomStream/fillRoundingUniforms(_:)``).
    ///
    /// Walks the matrix in flat chunks of ``uniformChunk`` elements (one fill each),
    /// split into runs that share one group (tensor, rows) or index consecutive groups (columns).
    static func stochasticRound(_ x: UnsafePointer<Float>, rows: Int, cols: Int, grouping: AffineCodes.Grouping,
                                parameters: [AffineParameters], top: Float, key: RandomKey,
                                into codes: UnsafeMutablePointer<UInt8>) {
        let total = rows * cols
        var stream = RandomStream(key: key)
        let z = parameters.map(\.z), s = parameters.map(\.s), c = parameters.map(\.c)
        z.withUnsafeBufferPointer { zb in
        s.withUnsafeBufferPointer { sb in
        c.withUnsafeBufferPointer { cb in
            let zp = zb.baseAddress!, sp = sb.baseAddress!, cp = cb.baseAddress!
            withUnsafeTemporaryAllocation(of: Float.self, capacity: uniformChunk) { scratch in
                let u = scratch.baseAddress!
                var start = 0, row = 0, col = 0
                while start < total {
                    let n = Swift.min(uniformChunk, total - start)
                    stream.fillRoundingUniforms(UnsafeMutableBufferPointer(start: u, count: n))
                    var i = 0
                    while i < n {
                        let e = start + i
                        switch grouping {
                        case .tensor:
                            roundRun(x + e, u + i, codes + e, n - i, zp[0], sp[0], cp[0], top)
                            i = n
                            continue
                        case .rows:
                            let run = Swift.min(n - i, cols - col)
                            roundRun(x + e, u + i, codes + e, run, zp[row], sp[row], cp[row], top)
                            i += run
                            col += run
                        case .columns:
                            let run = Swift.min(n - i, cols - col)
                            roundRunColumns(x + e, u + i, codes + e, run, zp + col, sp + col, cp + col, top)
                            i += run
                            col += run
                        }
                        if col == cols {
                            col = 0
                            row += 1
                        }
                    }
                    start += n
                }
            }
        }
        }
        }
    }

    /// One run sharing a group's parameters: the C kernel (AVX-512 when the CPU has it), or with
    /// `reference: true` the scalar ``roundOne(_:_:_:_:_:_:)`` loop it is bit-identical to.
    @inline(__always)
    static func roundRun(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ q: UnsafeMutablePointer<UInt8>,
                         _ count: Int, _ z: Float, _ s: Float, _ c: Float, _ top: Float, reference: Bool = false) {
        if !reference {
            foedus_fqt_round_codes(x, u, count, z, s, c, top, q, 1)
            return
        }
        for i in 0..<count {
            q[i] = roundOne(x[i], u[i], z, s, c, top)
        }
    }

    /// One run of consecutive columns, each its own group.
    @inline(__always)
    static func roundRunColumns(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ q: UnsafeMutablePointer<UInt8>,
                                _ count: Int, _ z: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                _ c: UnsafePointer<Float>, _ top: Float) {
        for i in 0..<count {
            q[i] = roundOne(x[i], u[i], z[i], s[i], c[i], top)
        }
    }

    /// The scalar definition of stochastic rounding, shared by every run:
    /// `clamp(⌊v⌋ + (u < v − ⌊v⌋ ? 1 : 0), 0, top)` with `v = (x − z)·s + c`.
    ///
    /// Clamping `v` to `[0, top]` first gives the same code (a `v` below 0 or above `top` would
    /// be clamped to the same end) and keeps the loop free of trapping conversions, so it
    /// vectorises: `⌊v⌋` comes from the round-to-nearest of `v + 2²³` (exact for `0 ≤ v < 2²²`)
    /// corrected down by one when it rounded up, and the code is read from the low mantissa
    /// bits of `code + 2²³`.
    @inline(__always)
    static func roundOne(_ x: Float, _ u: Float, _ z: Float, _ s: Float, _ c: Float, _ top: Float) -> UInt8 {
        let magic: Float = 0x1p23
        var v = (x - z) * s + c
        v = v > 0 ? v : 0
        v = v < top ? v : top
        let nearest = (v + magic) - magic
        let floor = nearest > v ? nearest - 1 : nearest
        let code = floor + (u < v - floor ? 1 : 0)
        return UInt8(truncatingIfNeeded: (code + magic).bitPattern)
    }
}
