import CDNNL
import CFoedusKernels

/// int8 / int4 matrix products with int32 accumulation.
///
/// `C[i][j] = Σ_k (A[i][k] − z_A)·B[k][j] + bias[j]` for row-major `A[M, K]` (uint8 or int8),
/// packed `B[K, N]` (int8, or int4 in `[−8, 7]`), optional per-column int32 `bias`, and an
/// activation zero point `z_A`. Arithmetic wraps modulo 2³² (the result is exact whenever the
/// true sum fits in Int32, e.g. `K ≤ 2¹⁶` for 8-bit operands).
///
/// uint8 A runs `vpdpbusd` directly (u8·s8); int8 A is read as `A + 128` (a uint8) and
/// `128·Σ_k B[k][j]` is subtracted, which is exact. Every backend gives bit-identical results;
/// ``reference(_:_:m:n:k:aZeroPoint:bias:)`` is the scalar twin.
public enum IntegerGEMM {
    /// `C = (A − z_A)·B + bias` with uint8 `A` (leading dimension `lda`), `C` leading dimension `ldc`.
    /// - Preconditions: `m ≥ 0`, `lda ≥ b.k`, `ldc ≥ b.n`; `bias` (if any) has `b.n` entries;
    ///   `c` does not overlap `a`. Complexity: `m·b.n·b.k` multiply-adds.
    public static func multiply(
        _ a: UnsafePointer<UInt8>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32 = 0,
        bias: UnsafePointer<Int32>? = nil, into c: UnsafeMutablePointer<Int32>, ldc: Int,
        backend: IntegerBackend = .automatic
    ) {
        run(signed: false, a, lda: lda, m: m, k: b.k, n: b.n, aZeroPoint: aZeroPoint, bias: bias, c: c, ldc: ldc, columnSums: b.columnSums) {
            a, colsum, bias, c in
            b.bytes.withUnsafeBufferPointer { packed in
                foedus_i8_gemm(0, a, lda, packed.baseAddress, colsum, m, b.n, b.k, aZeroPoint, bias, c, ldc, backend.rawValue)
            }
        }
    }

    /// Where a requantized product goes: bytes (int8 or uint8 by the requantizer's clamp) or int32
    /// values (any clamp).
    public enum RequantizedOutput {
        case bytes(UnsafeMutableRawPointer)
        /// May be the `partialSums` buffer itself when `ldo == ldc`.
        case int32(UnsafeMutablePointer<Int32>)

        /// The same output `count` elements further.
        public func advanced(by count: Int) -> RequantizedOutput {
            switch self {
            case .bytes(let p): return .bytes(p + count)
            case .int32(let p): return .int32(p + count)
            }
        }
    }

    /// `out = requantizer((A − z_A)·B + bias)` with uint8 `A`: the product and the per-column
    /// requantization (``ChannelRequantizer``'s arithmetic) fused, so the int32 accumulators of the
    /// last K block never reach memory on the VNNI backend. `partialSums` (`m × b.n`, leading
    /// dimension `ldc`) is scratch for the sums of earlier K blocks (and the whole product on other
    /// backends). The output equals the unfused product followed by the requantizer.
    /// - Preconditions: as ``multiply(_:lda:m:_:aZeroPoint:bias:into:ldc:backend:)``; the
    ///   requantizer has `b.n` channels; for `.bytes` its clamp lies inside Int8 or UInt8; `ldo ≥ b.n`.
    public static func multiply(
        _ a: UnsafePointer<UInt8>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32 = 0,
        bias: UnsafePointer<Int32>? = nil, requantizer r: ChannelRequantizer, partialSums c: UnsafeMutablePointer<Int32>, ldc: Int,
        into out: RequantizedOutput, ldo: Int, backend: IntegerBackend = .automatic
    ) {
        precondition(r.dyadics.count == b.n && ldo >= b.n, "IntegerGEMM.multiply: \(r.dyadics.count) requantizer channels for \(b.n) columns")
        var bytes: UnsafeMutablePointer<UInt8>?, values: UnsafeMutablePointer<Int32>?
        switch out {
        case .bytes(let p):
            precondition((r.clamp.lowerBound >= -128 && r.clamp.upperBound <= 127) || (r.clamp.lowerBound >= 0 && r.clamp.upperBound <= 255),
                         "IntegerGEMM.multiply: clamp \(r.clamp) fits neither Int8 nor UInt8")
            bytes = p.assumingMemoryBound(to: UInt8.self)
        case .int32(let p):
            values = p
        }
        run(signed: false, a, lda: lda, m: m, k: b.k, n: b.n, aZeroPoint: aZeroPoint, bias: bias, c: c, ldc: ldc, columnSums: b.columnSums) {
            a, colsum, bias, c in
            b.bytes.withUnsafeBufferPointer { packed in
                r.multipliers.withUnsafeBufferPointer { rb in
                    r.shifts.withUnsafeBufferPointer { rc in
                        foedus_i8_gemm_requant(0, a, lda, packed.baseAddress, colsum, m, b.n, b.k, aZeroPoint, bias, c, ldc,
                                               rb.baseAddress, rc.baseAddress, r.zeroPoint, r.clamp.lowerBound, r.clamp.upperBound,
                                               bytes, values, ldo, backend.rawValue)
                    }
                }
            }
        }
    }

    /// The same product with int8 `A`.
    public static func multiply(
        _ a: UnsafePointer<Int8>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32 = 0,
        bias: UnsafePointer<Int32>? = nil, into c: UnsafeMutablePointer<Int32>, ldc: Int,
        backend: IntegerBackend = .automatic
    ) {
        let au = UnsafeRawPointer(a).assumingMemoryBound(to: UInt8.self)
        run(signed: true, au, lda: lda, m: m, k: b.k, n: b.n, aZeroPoint: aZeroPoint, bias: bias, c: c, ldc: ldc, columnSums: b.columnSums) {
            a, colsum, bias, c in
            b.bytes.withUnsafeBufferPointer { packed in
                foedus_i8_gemm(1, a, lda, packed.baseAddress, colsum, m, b.n, b.k, aZeroPoint, bias, c, ldc, backend.rawValue)
            }
        }
    }

    /// `C = (A − z_A)·B + bias` with int4 weights and uint8 `A`.
    public static func multiply(
        _ a: UnsafePointer<UInt8>, lda: Int, m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32 = 0,
        bias: UnsafePointer<Int32>? = nil, into c: UnsafeMutablePointer<Int32>, ldc: Int,
        backend: IntegerBackend = .automatic
    ) {
        run(signed: false, a, lda: lda, m: m, k: b.k, n: b.n, aZeroPoint: aZeroPoint, bias: bias, c: c, ldc: ldc, columnSums: b.columnSums) {
            a, colsum, bias, c in
            b.bytes.withUnsafeBufferPointer { packed in
                foedus_i4_gemm(0, a, lda, packed.baseAddress, colsum, m, b.n, b.k, aZeroPoint, bias, c, ldc, backend.rawValue)
            }
        }
    }

    /// `C = (A − z_A)·B + bias` with int4 weights and int8 `A`.
    public static func multiply(
        _ a: UnsafePointer<Int8>, lda: Int, m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32 = 0,
        bias: UnsafePointer<Int32>? = nil, into c: UnsafeMutablePointer<Int32>, ldc: Int,
        backend: IntegerBackend = .automatic
    ) {
        let au = UnsafeRawPointer(a).assumingMemoryBound(to: UInt8.self)
        run(signed: true, au, lda: lda, m: m, k: b.k, n: b.n, aZeroPoint: aZeroPoint, bias: bias, c: c, ldc: ldc, columnSums: b.columnSums) {
            a, colsum, bias, c in
            b.bytes.withUnsafeBufferPointer { packed in
                foedus_i4_gemm(1, a, lda, packed.baseAddress, colsum, m, b.n, b.k, aZeroPoint, bias, c, ldc, backend.rawValue)
            }
        }
    }

    private static func run(
        signed: Bool, _ a: UnsafePointer<UInt8>, lda: Int, m: Int, k: Int, n: Int, aZeroPoint: Int32,
        bias: UnsafePointer<Int32>?, c: UnsafeMutablePointer<Int32>, ldc: Int, columnSums: [Int32],
        _ body: (UnsafePointer<UInt8>, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>) -> Int32
    ) {
        precondition(m >= 0 && lda >= k && ldc >= n,
                     "IntegerGEMM.multiply: invalid sizes m \(m), k \(k), n \(n), lda \(lda), ldc \(ldc)")
        let status = columnSums.withUnsafeBufferPointer { body(a, $0.baseAddress, bias, c) }
        precondition(status == 0, "IntegerGEMM.multiply: out of memory for scratch buffers")
    }

    /// Array form: `A` row-major `[m, b.k]`, result row-major `[m, b.n]`.
    public static func multiply<A: IntegerGEMMOperand>(
        _ a: [A], m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32 = 0, bias: [Int32]? = nil,
        backend: IntegerBackend = .automatic
    ) -> [Int32] {
        precondition(a.count == m * b.k, "IntegerGEMM.multiply: \(a.count) values for a \(m)×\(b.k) A")
        precondition(bias == nil || bias!.count == b.n, "IntegerGEMM.multiply: bias needs \(b.n) entries")
        var c = [Int32](repeating: 0, count: m * b.n)
        withOperands(a, bias, &c) { pa, pb, pc in
            A.multiply(pa, lda: b.k, m: m, b, aZeroPoint: aZeroPoint, bias: pb, into: pc, ldc: b.n, backend: backend)
        }
        return c
    }

    /// Array form with int4 weights.
    public static func multiply<A: IntegerGEMMOperand>(
        _ a: [A], m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32 = 0, bias: [Int32]? = nil,
        backend: IntegerBackend = .automatic
    ) -> [Int32] {
        precondition(a.count == m * b.k, "IntegerGEMM.multiply: \(a.count) values for a \(m)×\(b.k) A")
        precondition(bias == nil || bias!.count == b.n, "IntegerGEMM.multiply: bias needs \(b.n) entries")
        var c = [Int32](repeating: 0, count: m * b.n)
        withOperands(a, bias, &c) { pa, pb, pc in
            A.multiply(pa, lda: b.k, m: m, b, aZeroPoint: aZeroPoint, bias: pb, into: pc, ldc: b.n, backend: backend)
        }
        return c
    }

    private static func withOperands<A>(
        _ a: [A], _ bias: [Int32]?, _ c: inout [Int32],
        _ body: (UnsafePointer<A>, UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>) -> Void
    ) {
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                let aBase = pa.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let cBase = pc.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!
                if let bias {
                    bias.withUnsafeBufferPointer { body(aBase, $0.baseAddress, cBase) }
                } else {
                    body(aBase, nil, cBase)
                }
            }
        }
    }

    /// Scalar reference twin: `C[i][j] = Σ_k (A[i][k] − z_A)·B[k][j] + bias[j]` with wrapping
    /// Int32 arithmetic, `A` row-major `[m, k]`, `B` row-major `[k, n]` (unpacked).
    public static func reference<A: BinaryInteger>(
        _ a: [A], _ b: [Int8], m: Int, n: Int, k: Int, aZeroPoint: Int32 = 0, bias: [Int32]? = nil
    ) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Int32 = bias?[j] ?? 0
                for kk in 0..<k {
                    s = s &+ (Int32(a[i * k + kk]) &- aZeroPoint) &* Int32(b[kk * n + j])
                }
                c[i * n + j] = s
            }
        }
        return c
    }

    /// oneDNN's BLAS-like `dnnl_gemm_u8s8s32` on unpacked row-major `A[m, k]` (uint8) and
    /// `B[k, n]` (int8): `C = (A − z_A)·B + bias` (bias per column, may be nil). An alternative
    /// backend for comparison; it runs on the calling thread's OpenMP thread count.
    /// - Returns: `false` if oneDNN reported an error.
    @discardableResult
    public static func oneDNNu8s8s32(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, m: Int, n: Int, k: Int, aZeroPoint: UInt8 = 0,
        bias: UnsafePointer<Int32>? = nil, into c: UnsafeMutablePointer<Int32>
    ) -> Bool {
        var zero: Int32 = 0
        let status = dnnl_gemm_u8s8s32(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")),
                                       CChar(UInt8(ascii: bias == nil ? "F" : "R")),
                                       Int64(m), Int64(n), Int64(k), 1, a, Int64(k), aZeroPoint, b, Int64(n), 0,
                                       0, c, Int64(n), bias ?? withUnsafePointer(to: &zero) { $0 })
        return status == dnnl_success
    }
}

/// The element types `A` may have in ``IntegerGEMM`` (uint8 and int8).
public protocol IntegerGEMMOperand: BinaryInteger, Sendable {
    /// Dispatches to the matching ``IntegerGEMM`` pointer entry point.
    static func multiply(_ a: UnsafePointer<Self>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32,
                         bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend)
    /// Dispatches to the matching ``IntegerGEMM`` pointer entry point (int4 weights).
    static func multiply(_ a: UnsafePointer<Self>, lda: Int, m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32,
                         bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend)
}

extension UInt8: IntegerGEMMOperand {
    public static func multiply(_ a: UnsafePointer<UInt8>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32,
                                bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend) {
        IntegerGEMM.multiply(a, lda: lda, m: m, b, aZeroPoint: aZeroPoint, bias: bias, into: c, ldc: ldc, backend: backend)
    }
    public static func multiply(_ a: UnsafePointer<UInt8>, lda: Int, m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32,
                                bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend) {
        IntegerGEMM.multiply(a, lda: lda, m: m, b, aZeroPoint: aZeroPoint, bias: bias, into: c, ldc: ldc, backend: backend)
    }
}

extension Int8: IntegerGEMMOperand {
    public static func multiply(_ a: UnsafePointer<Int8>, lda: Int, m: Int, _ b: PackedInt8Matrix, aZeroPoint: Int32,
                                bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend) {
        IntegerGEMM.multiply(a, lda: lda, m: m, b, aZeroPoint: aZeroPoint, bias: bias, into: c, ldc: ldc, backend: backend)
    }
    public static func multiply(_ a: UnsafePointer<Int8>, lda: Int, m: Int, _ b: PackedInt4Matrix, aZeroPoint: Int32,
                                bias: UnsafePointer<Int32>?, into c: UnsafeMutablePointer<Int32>, ldc: Int, backend: IntegerBackend) {
        IntegerGEMM.multiply(a, lda: lda, m: m, b, aZeroPoint: aZeroPoint, bias: bias, into: c, ldc: ldc, backend: backend)
    }
}
