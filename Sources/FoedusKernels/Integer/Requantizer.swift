import CFoedusKernels

/// Dyadic requantization of int32 accumulators to 8 bits (HAWQ-V3 §3.2):
/// `q = clamp(z + ((acc·b + 2^(c−1)) >> c), lo, hi)`, i.e. `round(acc·r) + z` with ties
/// rounded up, computed with one 64-bit multiply and an arithmetic shift (no float).
public struct Requantizer: Sendable {
    /// The multiplier `r ≈ S_acc / S_out`.
    public let dyadic: Dyadic
    /// The output zero point `z`.
    public let zeroPoint: Int32
    /// The output range `[lo, hi]`.
    public let clamp: ClosedRange<Int32>

    /// - Parameters:
    ///   - ratio: `S_acc / S_out` (used only here, to build the dyadic multiplier).
    ///   - clamp: e.g. `-128...127` for int8, `0...255` for uint8.
    public init(ratio: Double, zeroPoint: Int32 = 0, clamp: ClosedRange<Int32> = -128...127) {
        self.init(dyadic: Dyadic(ratio: ratio), zeroPoint: zeroPoint, clamp: clamp)
    }

    public init(dyadic: Dyadic, zeroPoint: Int32 = 0, clamp: ClosedRange<Int32> = -128...127) {
        self.dyadic = dyadic
        self.zeroPoint = zeroPoint
        self.clamp = clamp
    }

    /// One accumulator: `clamp(z + dyadic.apply(acc), lo, hi)`. The scalar reference twin.
    @inlinable
    public func requantize(_ acc: Int32) -> Int32 {
        let v = dyadic.apply(acc) + Int64(zeroPoint)
        return Int32(Swift.min(Swift.max(v, Int64(clamp.lowerBound)), Int64(clamp.upperBound)))
    }

    /// Vectorised over `count` accumulators into int32 outputs (`out` may equal `acc`): the same
    /// value as ``requantize(_:)`` for each.
    public func requantize(_ acc: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Int32>,
                           backend: IntegerBackend = .automatic) {
        foedus_requant_run_i32(acc, count, dyadic.b, Int32(dyadic.c), zeroPoint, clamp.lowerBound, clamp.upperBound, out, backend.rawValue)
    }

    /// Vectorised over `count` accumulators into int8 outputs.
    /// - Precondition: `clamp ⊆ −128…127`.
    public func requantize(_ acc: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Int8>,
                           backend: IntegerBackend = .automatic) {
        precondition(clamp.lowerBound >= -128 && clamp.upperBound <= 127, "Requantizer: clamp \(clamp) does not fit Int8")
        foedus_requant_run(acc, count, dyadic.b, Int32(dyadic.c), zeroPoint, clamp.lowerBound, clamp.upperBound,
                           UnsafeMutableRawPointer(out).assumingMemoryBound(to: UInt8.self), backend.rawValue)
    }

    /// Vectorised over `count` accumulators into uint8 outputs.
    /// - Precondition: `clamp ⊆ 0…255`.
    public func requantize(_ acc: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<UInt8>,
                           backend: IntegerBackend = .automatic) {
        precondition(clamp.lowerBound >= 0 && clamp.upperBound <= 255, "Requantizer: clamp \(clamp) does not fit UInt8")
        foedus_requant_run(acc, count, dyadic.b, Int32(dyadic.c), zeroPoint, clamp.lowerBound, clamp.upperBound,
                           out, backend.rawValue)
    }
}

/// Per-output-channel requantization of a row-major int32 matrix `[rows, channels]` (a GEMM
/// output): column `j` uses its own dyadic `b[j] / 2^c[j]`; zero point and clamp are shared.
public struct ChannelRequantizer: Sendable {
    /// One dyadic per channel.
    public let dyadics: [Dyadic]
    public let zeroPoint: Int32
    public let clamp: ClosedRange<Int32>
    let multipliers: [Int32]
    let shifts: [Int32]

    /// - Parameter ratios: `S_w[j]·S_x / S_out` per channel.
    public init(ratios: [Double], zeroPoint: Int32 = 0, clamp: ClosedRange<Int32> = -128...127) {
        self.init(dyadics: ratios.map(Dyadic.init(ratio:)), zeroPoint: zeroPoint, clamp: clamp)
    }

    public init(dyadics: [Dyadic], zeroPoint: Int32 = 0, clamp: ClosedRange<Int32> = -128...127) {
        self.dyadics = dyadics
        self.zeroPoint = zeroPoint
        self.clamp = clamp
        multipliers = dyadics.map { Int32($0.b) }
        shifts = dyadics.map { Int32($0.c) }
    }

    /// The scalar reference twin: `out[i][j] = clamp(z + dyadics[j].apply(acc[i][j]), lo, hi)`.
    public func requantizeReference(_ acc: [Int32], rows: Int) -> [Int32] {
        let cols = dyadics.count
        return (0..<(rows * cols)).map { index in
            Requantizer(dyadic: dyadics[index % cols], zeroPoint: zeroPoint, clamp: clamp).requantize(acc[index])
        }
    }

    /// Vectorised: `acc` `[rows, channels]` with leading dimension `lda`, `out` with `ldo`;
    /// the output bytes are int8 or uint8 according to `clamp`.
    /// - Precondition: `clamp` fits in Int8 or in UInt8; `lda, ldo ≥ channels`.
    public func requantize(_ acc: UnsafePointer<Int32>, rows: Int, lda: Int, into out: UnsafeMutableRawPointer, ldo: Int,
                           backend: IntegerBackend = .automatic) {
        let cols = dyadics.count
        precondition(rows >= 0 && lda >= cols && ldo >= cols, "ChannelRequantizer: invalid sizes")
        precondition((clamp.lowerBound >= -128 && clamp.upperBound <= 127) || (clamp.lowerBound >= 0 && clamp.upperBound <= 255),
                     "ChannelRequantizer: clamp \(clamp) fits neither Int8 nor UInt8")
        multipliers.withUnsafeBufferPointer { b in
            shifts.withUnsafeBufferPointer { c in
                foedus_requant_cols(acc, rows, cols, lda, b.baseAddress, c.baseAddress, zeroPoint, clamp.lowerBound,
                                    clamp.upperBound, out.assumingMemoryBound(to: UInt8.self), ldo, backend.rawValue)
            }
        }
    }

    /// Vectorised with int32 outputs (no narrowing; any clamp): `out` may equal `acc` when
    /// `ldo == lda`.
    /// - Precondition: `lda, ldo ≥ channels`.
    public func requantize(_ acc: UnsafePointer<Int32>, rows: Int, lda: Int, into out: UnsafeMutablePointer<Int32>, ldo: Int,
                           backend: IntegerBackend = .automatic) {
        let cols = dyadics.count
        precondition(rows >= 0 && lda >= cols && ldo >= cols, "ChannelRequantizer: invalid sizes")
        multipliers.withUnsafeBufferPointer { b in
            shifts.withUnsafeBufferPointer { c in
                foedus_requant_cols_i32(acc, rows, cols, lda, b.baseAddress, c.baseAddress, zeroPoint, clamp.lowerBound,
                                        clamp.upperBound, out, ldo, backend.rawValue)
            }
        }
    }

    /// Array form into int8 (`clamp ⊆ −128…127`).
    public func requantizeToInt8(_ acc: [Int32], rows: Int, backend: IntegerBackend = .automatic) -> [Int8] {
        precondition(acc.count == rows * dyadics.count, "ChannelRequantizer: \(acc.count) accumulators for \(rows) rows")
        var out = [Int8](repeating: 0, count: acc.count)
        acc.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBytes { o in
                if let ab = a.baseAddress, let ob = o.baseAddress {
                    requantize(ab, rows: rows, lda: dyadics.count, into: ob, ldo: dyadics.count, backend: backend)
                }
            }
        }
        return out
    }

    /// Array form into uint8 (`clamp ⊆ 0…255`).
    public func requantizeToUInt8(_ acc: [Int32], rows: Int, backend: IntegerBackend = .automatic) -> [UInt8] {
        precondition(acc.count == rows * dyadics.count, "ChannelRequantizer: \(acc.count) accumulators for \(rows) rows")
        var out = [UInt8](repeating: 0, count: acc.count)
        acc.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBytes { o in
                if let ab = a.baseAddress, let ob = o.baseAddress {
                    requantize(ab, rows: rows, lda: dyadics.count, into: ob, ldo: dyadics.count, backend: backend)
                }
            }
        }
        return out
    }
}
