import FoedusKernels
import XCTest

// Oracle: IntegerGEMM.reference (plain Swift triple loop on unpacked B); every backend must
// agree exactly.
final class IntegerGEMMTests: XCTestCase {
    let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 13, 5), (6, 64, 4), (13, 65, 31), (5, 130, 67), (17, 16, 3), (9, 200, 129), (2, 47, 256),
        (205, 70, 600),  // two row blocks of the VNNI kernel (192 rows each) and two K blocks (512 + 88)
    ]

    func testFusedRequantizationEqualsTheProductThenRequantization() {
        // Oracle: the int32 product (checked against the reference above) followed by
        // ChannelRequantizer.requantizeReference, exactly. Shapes cover one and two K blocks,
        // two row blocks, partial column tiles; both byte types; every backend.
        var data = IntegerTestData(seed: 9)
        for (m, n, k) in [(7, 13, 5), (205, 70, 600), (40, 33, 256), (6, 64, 513)] {
            let a = data.uint8s(m * k), b = data.int8s(k * n), bias = data.int32s(n, in: -100_000...100_000)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            let product = IntegerGEMM.reference(a, b, m: m, n: n, k: k, aZeroPoint: 3, bias: bias)
            // Every shift ≥ 32 (the epilogue's one-shift form), then one column with shift 1 (the
            // 64-bit form for the whole product).
            let dyadics = data.doubles(n, low: 1e-5, high: 0.05).map { Dyadic(ratio: $0) }
            var withZeroColumn = dyadics
            withZeroColumn[n / 2] = Dyadic(b: 0, c: 1)
            for (zero, clamp, columns) in [(Int32(0), Int32(0)...255, dyadics), (Int32(0), Int32(0)...255, withZeroColumn),
                                           (Int32(-3), Int32(-128)...127, withZeroColumn)] {
                let r = ChannelRequantizer(dyadics: columns, zeroPoint: zero, clamp: clamp)
                let expected = r.requantizeReference(product, rows: m)
                XCTAssertTrue(expected.contains(clamp.upperBound) && expected.contains(clamp.lowerBound), "clamps exercised \(m)x\(n)x\(k)")
                for backend in explicitBackends {
                    var partial = [Int32](repeating: 0, count: m * n), bytes = [UInt8](repeating: 0, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        bias.withUnsafeBufferPointer { pb in
                            partial.withUnsafeMutableBufferPointer { pc in
                                bytes.withUnsafeMutableBytes { po in
                                    IntegerGEMM.multiply(pa.baseAddress!, lda: k, m: m, packed, aZeroPoint: 3, bias: pb.baseAddress, requantizer: r,
                                                         partialSums: pc.baseAddress!, ldc: n, into: .bytes(po.baseAddress!), ldo: n, backend: backend)
                                }
                            }
                        }
                    }
                    let got = bytes.map { clamp.lowerBound < 0 ? Int32(Int8(bitPattern: $0)) : Int32($0) }
                    XCTAssertEqual(zip(got, expected).filter { $0 != $1 }.count, 0, "\(m)x\(n)x\(k) \(clamp) \(backend)")
                }
            }
            // int32 outputs with a 16-bit clamp, written over the partial sums themselves.
            let wide = ChannelRequantizer(dyadics: withZeroColumn.map { Dyadic(b: $0.b, c: Swift.max(1, $0.c - 6)) }, zeroPoint: 0, clamp: -32767...32767)
            let expectedWide = wide.requantizeReference(product, rows: m)
            XCTAssertTrue(expectedWide.contains(32767) || expectedWide.contains(-32767), "16-bit clamp exercised \(m)x\(n)x\(k)")
            for backend in explicitBackends {
                var values = [Int32](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    bias.withUnsafeBufferPointer { pb in
                        values.withUnsafeMutableBufferPointer { pv in
                            IntegerGEMM.multiply(pa.baseAddress!, lda: k, m: m, packed, aZeroPoint: 3, bias: pb.baseAddress, requantizer: wide,
                                                 partialSums: pv.baseAddress!, ldc: n, into: .int32(pv.baseAddress!), ldo: n, backend: backend)
                        }
                    }
                }
                XCTAssertEqual(zip(values, expectedWide).filter { $0 != $1 }.count, 0, "int32 \(m)x\(n)x\(k) \(backend)")
            }
        }
    }

    func testUnsignedTimesSignedMatchesReferenceOnEveryBackend() {
        var data = IntegerTestData(seed: 1)
        for (m, n, k) in shapes {
            let a = data.uint8s(m * k), b = data.int8s(k * n), bias = data.int32s(n, in: -100_000...100_000)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            for zero: Int32 in [0, 3, 128] {
                let expected = IntegerGEMM.reference(a, b, m: m, n: n, k: k, aZeroPoint: zero, bias: bias)
                for backend in explicitBackends {
                    let c = IntegerGEMM.multiply(a, m: m, packed, aZeroPoint: zero, bias: bias, backend: backend)
                    XCTAssertEqual(c, expected, "u8s8 \(m)x\(n)x\(k) z \(zero) backend \(backend)")
                }
            }
            let noBias = IntegerGEMM.reference(a, b, m: m, n: n, k: k)
            XCTAssertEqual(IntegerGEMM.multiply(a, m: m, packed), noBias, "u8s8 no bias \(m)x\(n)x\(k)")
        }
    }

    func testAMXAndVNNIFormsMatchReference() {
        // Oracle: IntegerGEMM.reference. The VNNI backend with AMX forbidden and allowed (when the
        // CPU has it): M, N and K around the 16-row, 16-column and 64-byte tiles and the 32-row
        // blocks, K tails of 1–3 values, the FQT shapes (288×64×1000-long reductions, 64×980×288),
        // signed and unsigned A with zero points, leading dimensions wider than K and N.
        var data = IntegerTestData(seed: 21)
        let shapes = [(1, 1, 1), (7, 13, 5), (17, 16, 3), (33, 65, 64), (32, 64, 128), (40, 17, 65), (16, 48, 63), (9, 200, 129),
                      (205, 70, 300), (288, 64, 1000), (64, 980, 288), (3, 31, 2)]
        let previous = IntegerGEMM.allowAMX(true)
        defer { IntegerGEMM.allowAMX(previous) }
        for (m, n, k) in shapes {
            let lda = k + 3, ldc = n + 5
            let au = data.uint8s(m * lda), asg = data.int8s(m * lda), b = data.int8s(k * n), bias = data.int32s(n, in: -100_000...100_000)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            let denseU = (0..<m).flatMap { i in au[(i * lda)..<(i * lda + k)] }, denseS = (0..<m).flatMap { i in asg[(i * lda)..<(i * lda + k)] }
            for signed in [false, true] {
                let zero: Int32 = signed ? -5 : 3
                let expected = signed ? IntegerGEMM.reference(denseS, b, m: m, n: n, k: k, aZeroPoint: zero, bias: bias)
                                      : IntegerGEMM.reference(denseU, b, m: m, n: n, k: k, aZeroPoint: zero, bias: bias)
                for amx in [false, true] where !amx || IntegerGEMM.amxAvailable {
                    IntegerGEMM.allowAMX(amx)
                    var c = [Int32](repeating: -7, count: m * ldc)
                    c.withUnsafeMutableBufferPointer { pc in
                        bias.withUnsafeBufferPointer { pb in
                            if signed {
                                asg.withUnsafeBufferPointer {
                                    IntegerGEMM.multiply($0.baseAddress!, lda: lda, m: m, packed, aZeroPoint: zero, bias: pb.baseAddress, into: pc.baseAddress!, ldc: ldc, backend: .vnni)
                                }
                            } else {
                                au.withUnsafeBufferPointer {
                                    IntegerGEMM.multiply($0.baseAddress!, lda: lda, m: m, packed, aZeroPoint: zero, bias: pb.baseAddress, into: pc.baseAddress!, ldc: ldc, backend: .vnni)
                                }
                            }
                        }
                    }
                    let label = "\(m)x\(n)x\(k) signed \(signed) amx \(amx)"
                    for i in 0..<m {
                        XCTAssertEqual(Array(c[(i * ldc)..<(i * ldc + n)]), Array(expected[(i * n)..<(i * n + n)]), "row \(i) \(label)")
                        XCTAssertEqual(Array(c[(i * ldc + n)..<(i * ldc + ldc)]), [Int32](repeating: -7, count: ldc - n), "padding \(label)")
                    }
                }
            }
        }
        // All-extreme operands: the largest partial sums, 255·(−128)·K.
        let (m, n, k) = (19, 37, 1031)
        let a = [UInt8](repeating: 255, count: m * k), bx = [Int8](repeating: -128, count: k * n)
        for amx in [false, true] where !amx || IntegerGEMM.amxAvailable {
            IntegerGEMM.allowAMX(amx)
            XCTAssertEqual(Set(IntegerGEMM.multiply(a, m: m, PackedInt8Matrix(bx, k: k, n: n), backend: .vnni)), [255 * -128 * Int32(k)], "extremes amx \(amx)")
        }
    }

    func testSignedTimesSignedMatchesReferenceOnEveryBackend() {
        var data = IntegerTestData(seed: 2)
        for (m, n, k) in shapes {
            let a = data.int8s(m * k), b = data.int8s(k * n), bias = data.int32s(n, in: -1000...1000)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            for zero: Int32 in [0, -5] {
                let expected = IntegerGEMM.reference(a, b, m: m, n: n, k: k, aZeroPoint: zero, bias: bias)
                for backend in explicitBackends {
                    let c = IntegerGEMM.multiply(a, m: m, packed, aZeroPoint: zero, bias: bias, backend: backend)
                    XCTAssertEqual(c, expected, "s8s8 \(m)x\(n)x\(k) z \(zero) backend \(backend)")
                }
            }
        }
    }

    func testExtremeValuesAreExact() {
        // All-extreme operands make the largest partial sums: 255·(−128)·K and (−128)·(−128)·K.
        let (m, n, k) = (7, 37, 1031)
        for (aValue, bValue) in [(UInt8(255), Int8(-128)), (255, 127), (0, -128)] {
            let a = [UInt8](repeating: aValue, count: m * k), b = [Int8](repeating: bValue, count: k * n)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            for backend in explicitBackends {
                let c = IntegerGEMM.multiply(a, m: m, packed, backend: backend)
                XCTAssertEqual(Set(c), [Int32(aValue) * Int32(bValue) * Int32(k)], "u8 \(aValue) s8 \(bValue) \(backend)")
            }
        }
        for (aValue, bValue) in [(Int8(-128), Int8(-128)), (-128, 127), (127, 127)] {
            let a = [Int8](repeating: aValue, count: m * k), b = [Int8](repeating: bValue, count: k * n)
            let packed = PackedInt8Matrix(b, k: k, n: n)
            for backend in explicitBackends {
                let c = IntegerGEMM.multiply(a, m: m, packed, backend: backend)
                XCTAssertEqual(Set(c), [Int32(aValue) * Int32(bValue) * Int32(k)], "s8 \(aValue) s8 \(bValue) \(backend)")
            }
        }
    }

    func testTransposedPackingAndLeadingDimensions() {
        var data = IntegerTestData(seed: 3)
        let (m, n, k, lda, ldc) = (11, 70, 45, 50, 75)
        let bT = data.int8s(n * k)  // [N, K]
        var b = [Int8](repeating: 0, count: k * n)
        for j in 0..<n { for kk in 0..<k { b[kk * n + j] = bT[j * k + kk] } }
        let a = data.uint8s(m * lda)
        let aDense = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }
        let expected = IntegerGEMM.reference(aDense, b, m: m, n: n, k: k)
        let packed = PackedInt8Matrix(bT, k: k, n: n, transposed: true)
        for backend in explicitBackends {
            var c = [Int32](repeating: -7, count: m * ldc)
            a.withUnsafeBufferPointer { pa in
                c.withUnsafeMutableBufferPointer { pc in
                    IntegerGEMM.multiply(pa.baseAddress!, lda: lda, m: m, packed, into: pc.baseAddress!, ldc: ldc, backend: backend)
                }
            }
            for i in 0..<m {
                XCTAssertEqual(Array(c[(i * ldc)..<(i * ldc + n)]), Array(expected[(i * n)..<(i * n + n)]), "row \(i) \(backend)")
                XCTAssertEqual(Array(c[(i * ldc + n)..<(i * ldc + ldc)]), [Int32](repeating: -7, count: ldc - n), "padding \(backend)")
            }
        }
    }

    func testOneDNNBackendMatchesReference() {
        var data = IntegerTestData(seed: 4)
        let (m, n, k) = (9, 33, 70)
        let a = data.uint8s(m * k), b = data.int8s(k * n), bias = data.int32s(n, in: -50...50)
        let expected = IntegerGEMM.reference(a, b, m: m, n: n, k: k, aZeroPoint: 2, bias: bias)
        var c = [Int32](repeating: 0, count: m * n)
        let ok = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                bias.withUnsafeBufferPointer { pbias in
                    c.withUnsafeMutableBufferPointer { pc in
                        IntegerGEMM.oneDNNu8s8s32(pa.baseAddress!, pb.baseAddress!, m: m, n: n, k: k, aZeroPoint: 2,
                                                  bias: pbias.baseAddress!, into: pc.baseAddress!)
                    }
                }
            }
        }
        XCTAssertTrue(ok)
        XCTAssertEqual(c, expected)
    }

    func testInt4WeightsMatchReference() {
        var data = IntegerTestData(seed: 5)
        for (m, n, k) in shapes + [(3, 129, 7), (4, 64, 1)] {
            let a = data.uint8s(m * k), s = data.int8s(m * k), b = data.int8s(k * n, in: -8...7)
            let packed = PackedInt4Matrix(b, k: k, n: n)
            let expectedU = IntegerGEMM.reference(a, b, m: m, n: n, k: k, aZeroPoint: 1)
            let expectedS = IntegerGEMM.reference(s, b, m: m, n: n, k: k)
            for backend in explicitBackends {
                XCTAssertEqual(IntegerGEMM.multiply(a, m: m, packed, aZeroPoint: 1, backend: backend), expectedU, "u8 x i4 \(m)x\(n)x\(k) \(backend)")
                XCTAssertEqual(IntegerGEMM.multiply(s, m: m, packed, backend: backend), expectedS, "s8 x i4 \(m)x\(n)x\(k) \(backend)")
            }
        }
    }
}
