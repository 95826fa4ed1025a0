import FoedusKernels
import Foundation
import XCTest

/// FQT gradient quantizers (reference: StatQuant, Chen et al. 2020; test list of
/// ssfl-fqt-hawq-ibert.md §2.7). Every key is fixed, so each test is deterministic; statistical
/// tolerances are what a correct quantizer meets with overwhelming probability for a random key.
final class GradientQuantizerTests: XCTestCase {
    private let root = RandomKey(seed: 2020).derived("gradient quantizer")

    /// 6×9, unequal rows: mixed signs, a heavy-tailed row, all negative, a constant row, tiny
    /// values, exact zeros.
    private let fixedRows = 6, fixedCols = 9
    private let fixed: [Float] = [
        0.31, -1.2, 0.05, 2.4, -0.7, 1.1, -2.2, 0.9, 0.0,
        0.2, -0.1, 40.0, 0.3, -0.4, 0.15, -6.5, 0.05, 1.3,
        -3.1, -0.2, -1.7, -2.9, -0.45, -0.01, -1.0, -2.2, -0.6,
        2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5,
        1e-3, -2e-3, 5e-4, 3e-3, -1e-3, 0.0, 2.5e-3, -7e-4, 1.5e-3,
        0.0, 0.0, 0.75, -0.25, 0.0, 1.9, 0.0, -1.4, 0.0,
    ]

    // MARK: Unbiasedness and variance

    /// Oracle: E[Q(x)] = x exactly for SR (E[code] = v). Over R = 10 000 independent keys every
    /// element's mean lies within 6σ̂/√R of x (false-alarm rate ≈ 2·10⁻⁹ per element), plus
    /// 1e-6·range for Float rounding of the affine maps and for elements whose draws never
    /// differ. For PTQ/PSQ a two-point sample has σ̂² = p̂(1−p̂)·step² ≤ step²/4 exactly.
    func testStochasticRoundingIsUnbiased() {
        let draws = 10_000, bits = 5
        let range = Double(fixed.max()! - fixed.min()!)
        for (kind, grouping) in Self.configurations {
            let moments = errorMoments(fixed, rows: fixedRows, cols: fixedCols, kind: kind, grouping: grouping,
                                       bits: bits, draws: draws, key: root.derived("unbiased \(kind) \(grouping)"))
            let steps = elementSteps(fixed, rows: fixedRows, cols: fixedCols, kind: kind, grouping: grouping, bits: bits)
            for e in fixed.indices {
                let bias = moments.mean[e], sd = moments.variance[e].squareRoot()
                XCTAssertLessThanOrEqual(abs(bias), 6 * sd / Double(draws).squareRoot() + 1e-6 * range,
                                         "\(kind) \(grouping) element \(e): bias \(bias), σ̂ \(sd)")
                if let step = steps?[e] {
                    XCTAssertLessThanOrEqual(sd, 0.5 * step * (1 + 1e-5) + 1e-12, "\(kind) \(grouping) element \(e)")
                }
            }
        }
    }

    /// Oracle: SR variance ≤ ¼ step² per element, so E‖Q(x) − x‖² ≤ N·D·R²/(4B²) for PTQ (R the
    /// range after zero alignment, B·step) and ≤ D·Σᵢ Rᵢ²/(4B²) for per-row PSQ (Rᵢ the row's
    /// regularised range max − min + 2e-8; 0 for the constant row, which is exact). The
    /// empirical mean over 2 000 draws is far below the bounds' slack for this matrix.
    func testVarianceBounds() {
        let draws = 2_000, bits = 5
        let top = Double((1 << bits) - 1)
        let elements = Double(fixedRows * fixedCols)

        let ptq = fixed.withUnsafeBufferPointer {
            GradientQuantizer.perTensor($0, rows: fixedRows, cols: fixedCols, bits: bits, key: root)
        }
        let ptqRange = top * Double(ptq.step[0])
        let ptqError = meanSquaredError(fixed, kind: .ptq, grouping: .tensor, bits: bits, draws: draws, key: root.derived("ptq variance"))
        XCTAssertLessThanOrEqual(ptqError * elements, elements * ptqRange * ptqRange / (4 * top * top))

        var rowBound = 0.0
        for r in 0..<fixedRows {
            let row = fixed[(r * fixedCols)..<((r + 1) * fixedCols)]
            let spread = Double(row.max()!) - Double(row.min()!)
            let range = spread == 0 ? 0 : spread + 2e-8
            rowBound += Double(fixedCols) * range * range / (4 * top * top)
        }
        let psqError = meanSquaredError(fixed, kind: .psq, grouping: .rows, bits: bits, draws: draws, key: root.derived("psq variance"))
        XCTAssertLessThanOrEqual(psqError * elements, rowBound)
    }

    // MARK: Scalar twin and special values

    /// Oracle: the documented per-element definition, written out with the same Float
    /// operations on one whole-matrix uniform fill, gives bit-identical codes, steps and offsets
    /// (7×1000 crosses the 4096-element uniform chunks inside rows).
    func testCodesMatchScalarDefinition() {
        let rows = 7, cols = 1000, bits = 6
        let top = Float((1 << bits) - 1)
        var stream = RandomStream(key: root.derived("twin data"))
        var x: [Float] = randomFilled(rows * cols, &stream) { $0.fillNormal($1, mean: 0.3, std: 2) }
        for c in 0..<cols { x[3 * cols + c] = -1.25 }  // a constant row
        let key = root.derived("twin")
        var uniforms = RandomStream(key: key)
        // The quantizers draw the 16-bit rounding uniforms (not the 24-bit fillUniform) since fqt-speed3.
        let u: [Float] = randomFilled(rows * cols, &uniforms) { $0.fillRoundingUniforms($1) }

        func reference(_ v: Float, _ u: Float) -> UInt8 {
            let f = v.rounded(.down)
            return UInt8(min(max(f + (u < v - f ? 1 : 0), 0), top))
        }

        // Per-row and per-column PSQ.
        for grouping in [AffineCodes.Grouping.rows, .columns] {
            let codes = x.withUnsafeBufferPointer {
                GradientQuantizer.perGroup($0, rows: rows, cols: cols, bits: bits, grouping: grouping, key: key)
            }
            let groups = grouping == .rows ? rows : cols
            var expectedCodes = [UInt8](repeating: 0, count: rows * cols)
            for g in 0..<groups {
                let indices = grouping == .rows ? (0..<cols).map { g * cols + $0 } : (0..<rows).map { $0 * cols + g }
                let lo = indices.map { x[$0] }.min()!, hi = indices.map { x[$0] }.max()!
                if lo == hi {
                    XCTAssertEqual(codes.step[g], 1)
                    XCTAssertEqual(codes.offset[g], lo)
                    continue
                }
                let z = lo - 1e-8
                let s = top / ((hi + 1e-8) - z)
                XCTAssertEqual(codes.step[g], 1 / s, "\(grouping) \(g)")
                XCTAssertEqual(codes.offset[g], z, "\(grouping) \(g)")
                for e in indices { expectedCodes[e] = reference((x[e] - z) * s, u[e]) }
            }
            XCTAssertEqual(codes.codes, expectedCodes, "\(grouping)")
        }

        // PTQ with zero alignment: v = x·s' + q0.
        let ptq = x.withUnsafeBufferPointer { GradientQuantizer.perTensor($0, rows: rows, cols: cols, bits: bits, key: key) }
        let mn = min(x.min()! - 1e-8, 0), mx = max(x.max()! + 1e-8, 0)
        let q0 = (-mn * (top / (mx - mn))).rounded(.down)
        XCTAssertGreaterThan(q0, 0)
        let aligned = q0 / -mn
        XCTAssertEqual(ptq.step[0], 1 / aligned)
        XCTAssertEqual(ptq.codes, x.indices.map { reference(x[$0] * aligned + q0, u[$0]) })
    }

    /// Oracle: exact values. Constant groups and all-zero tensors reconstruct exactly with
    /// finite steps (BHQ within 4 ulps: its transform is Float arithmetic); PTQ's aligned zero
    /// point dequantizes 0 to exactly 0; a non-negative tensor
    /// (q0 = 0, alignment skipped) stays finite.
    func testDegenerateRangesAreExactAndFinite() {
        let key = root.derived("degenerate")
        let zeros = [Float](repeating: 0, count: 12)
        let constant = [Float](repeating: -3.75, count: 12)
        for input in [zeros, constant] {
            for (kind, grouping) in Self.configurations {
                let output = GradientQuantizer.quantizeDequantize(input, rows: 3, cols: 4, kind: kind, grouping: grouping, bits: 4, key: key)
                if kind == .bhq {
                    // T·x and T⁻¹ are Float products: constant rows come back within a few ulps.
                    for e in input.indices {
                        XCTAssertEqual(output[e], input[e], accuracy: 4 * input[e].ulp, "bhq element \(e)")
                    }
                } else {
                    XCTAssertEqual(output, input, "\(kind) \(grouping)")
                }
            }
            for grouping in [AffineCodes.Grouping.tensor, .rows, .columns] {
                let codes = input.withUnsafeBufferPointer {
                    GradientQuantizer.perGroup($0, rows: 3, cols: 4, bits: 4, grouping: grouping, key: key)
                }
                XCTAssertTrue(codes.step.allSatisfy(\.isFinite) && codes.offset.allSatisfy(\.isFinite))
            }
        }

        // Zeros inside a signed tensor are exact under PTQ, whatever the draw.
        for seed in 0..<50 {
            let output = GradientQuantizer.quantizeDequantize(fixed, rows: fixedRows, cols: fixedCols, kind: .ptq,
                                                               grouping: .tensor, bits: 5, key: key.derived(UInt64(seed)))
            for e in fixed.indices where fixed[e] == 0 {
                XCTAssertEqual(output[e], 0, "element \(e)")
            }
        }

        // All values ≥ 0: q0 = 0, no alignment, finite step, values within [min, max + step].
        let positive: [Float] = [0.5, 1.5, 2.0, 0.25, 3.0, 1.0]
        let codes = positive.withUnsafeBufferPointer { GradientQuantizer.perTensor($0, rows: 2, cols: 3, bits: 3, key: key) }
        XCTAssertTrue(codes.step[0].isFinite && codes.step[0] > 0)
        XCTAssertEqual(codes.offset[0], 0)
        XCTAssertTrue(codes.dequantized().allSatisfy { $0 >= 0 && $0 <= 3.0 + codes.step[0] })

        // One row, one column, empty.
        XCTAssertEqual(GradientQuantizer.quantizeDequantize([1.5], rows: 1, cols: 1, kind: .bhq, grouping: .rows, bits: 8, key: key), [1.5])
        XCTAssertEqual(GradientQuantizer.quantizeDequantize([], rows: 0, cols: 5, kind: .bhq, grouping: .rows, bits: 8, key: key), [])
        XCTAssertEqual(GradientQuantizer.quantizeDequantize([], rows: 3, cols: 0, kind: .psq, grouping: .columns, bits: 8, key: key), [])
    }

    // MARK: Block Householder algebra

    /// Oracle: T⁻¹T = I in Float64 (observed ~1e-15 in the reference; bound 1e-12), structural
    /// invariants of steps 2–3 (every block ≥ 2, leaders + small = N, allocation sums to k,
    /// members a permutation), and hand-derived counts (64 equal ranges: k = 33 > 32 is the
    /// first strict win, so 31 leaders; one dominant row: a single block of size N).
    func testBlockHouseholderAlgebra() {
        var stream = RandomStream(key: root.derived("ranges"))
        for n in [2, 3, 7, 64] {
            for trial in 0..<5 {
                let logs: [Double] = randomFilled(n, &stream) { $0.fillNormal($1, std: trial == 0 ? 0 : 1.5) }
                let transform = BlockHouseholder(rowRanges: logs.map { exp($0) })
                assertStructure(transform, n: n, "n \(n) trial \(trial)")
                let t = transform.denseMatrix(), inverse = transform.denseInverse()
                var worst = 0.0
                for i in 0..<n {
                    for j in 0..<n {
                        var sum = 0.0
                        for m in 0..<n { sum += inverse[i * n + m] * t[m * n + j] }
                        worst = max(worst, abs(sum - (i == j ? 1 : 0)))
                    }
                }
                XCTAssertLessThan(worst, 1e-12, "n \(n) trial \(trial)")
            }
        }

        let equal = BlockHouseholder(rowRanges: [Double](repeating: 0.5, count: 64))
        XCTAssertEqual(equal.leaderCount, 31)
        XCTAssertEqual(equal.smallCount, 33)
        assertStructure(equal, n: 64, "equal")

        let dominant = BlockHouseholder(rowRanges: [1] + [Double](repeating: 1e-3, count: 20) + [100] + [Double](repeating: 1e-3, count: 42))
        XCTAssertEqual(dominant.leaderCount, 1)
        XCTAssertEqual(dominant.blockSizes, [64])
        XCTAssertEqual(dominant.members.first, 21)

        // Trap 7: two equal rows tie at ratio exactly 1; one row is the identity.
        XCTAssertEqual(BlockHouseholder(rowRanges: [2, 2]).blockSizes, [2])
        XCTAssertEqual(BlockHouseholder(rowRanges: [1, 5]).members, [1, 0])
        let single = BlockHouseholder(rowRanges: [3])
        XCTAssertEqual(single.blockSizes, [1])
        XCTAssertEqual(single.denseMatrix(), [1])
    }

    /// Oracle: hand computation of steps 2–5 for λ = (10, 8, 1, 1, 1, 1, 1): k = 5 is the first
    /// k with k·λ₍N−k₎/Λ_k > 1 (5·8/18); c₁ = round(5·10/18) = 3, c₂ = 5; block sizes 4 and 3;
    /// block 1 (n = 4, q₄ = ½): w₁ = 10/2, w₂ = ½, s₁ = w₁^(−1/3), s₂ = (w₂/3)^(−1/3), both
    /// times √(1/s₁² + 1/s₂²).
    func testBlockHouseholderHandExample() {
        let transform = BlockHouseholder(rowRanges: [1, 10, 1, 1, 8, 1, 1])
        XCTAssertEqual(transform.leaderCount, 2)
        XCTAssertEqual(transform.smallCount, 5)
        XCTAssertEqual(transform.allocation, [3, 2])
        XCTAssertEqual(transform.members, [1, 0, 2, 3, 4, 5, 6])
        let s1 = pow(5.0, -1.0 / 3), s2 = pow(0.5 / 3, -1.0 / 3)
        let norm = (1 / (s1 * s1) + 1 / (s2 * s2)).squareRoot()
        XCTAssertEqual(transform.scales[1], s1 * norm, accuracy: 1e-12)
        XCTAssertEqual(transform.scales[0], s2 * norm, accuracy: 1e-12)
        XCTAssertEqual(transform.scales[3], s2 * norm, accuracy: 1e-12)
        // Block 2 (n = 3): leader λ = 8, first small λ = 1, q₃ = 1/(3 − √3).
        let q3 = 1 / (3 - 3.0.squareRoot())
        let t1 = pow(8 / 3.0.squareRoot(), -1.0 / 3), t2 = pow(q3 / 2, -1.0 / 3)
        let norm2 = (1 / (t1 * t1) + 1 / (t2 * t2)).squareRoot()
        XCTAssertEqual(transform.scales[4], t1 * norm2, accuracy: 1e-12)
        XCTAssertEqual(transform.scales[6], t2 * norm2, accuracy: 1e-12)
    }

    /// Oracle: the dense Float64 T and T⁻¹. The structured Float kernels agree within
    /// 1e-5·Σⱼ|Tᵢⱼ xⱼ| (a few Float roundings per term); in-place use gives the same result;
    /// 2500 columns cross the 1024-column chunks.
    func testApplyMatchesDenseMatrices() {
        var stream = RandomStream(key: root.derived("apply"))
        for n in [1, 2, 7, 33] {
            let cols = 2500
            let logs: [Double] = randomFilled(n, &stream) { $0.fillNormal($1, std: 1.5) }
            let transform = BlockHouseholder(rowRanges: logs.map { exp($0) })
            let x: [Float] = randomFilled(n * cols, &stream) { $0.fillNormal($1, std: 3) }
            for (dense, inverse) in [(transform.denseMatrix(), false), (transform.denseInverse(), true)] {
                var y = [Float](repeating: 0, count: n * cols)
                x.withUnsafeBufferPointer { input in
                    y.withUnsafeMutableBufferPointer { output in
                        if inverse {
                            transform.applyInverse(input, cols: cols, into: output)
                        } else {
                            transform.apply(input, cols: cols, into: output)
                        }
                    }
                }
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { buffer in
                    if inverse {
                        transform.applyInverse(UnsafeBufferPointer(buffer), cols: cols, into: buffer)
                    } else {
                        transform.apply(UnsafeBufferPointer(buffer), cols: cols, into: buffer)
                    }
                }
                XCTAssertEqual(inPlace, y, "n \(n) inverse \(inverse) in place")
                var worst = 0.0
                for i in 0..<n {
                    for c in 0..<cols {
                        var exact = 0.0, magnitude = 0.0
                        for j in 0..<n {
                            let term = dense[i * n + j] * Double(x[j * cols + c])
                            exact += term
                            magnitude += abs(term)
                        }
                        worst = max(worst, abs(Double(y[i * cols + c]) - exact) / (magnitude + 1e-30))
                    }
                }
                XCTAssertLessThan(worst, 1e-5, "n \(n) inverse \(inverse)")
            }
        }
    }

    // MARK: Heavy-tailed regression

    /// Oracle: the reference's synthetic check (§2.7 test 4): N = 64, D = 2048, row scales
    /// exp(𝒩(0, 1.5²)), 3 rows × 50. The reference measured PTQ/PSQ ≈ 9.2 and PSQ/BHQ ≈ 11.3 at
    /// 5 bits (≈ 27.6 and 11.4 at 8 bits); the values are RNG-dependent, so only the ordering
    /// with a 3× margin is asserted, on the mean over 3 draws.
    func testHeavyTailedOrdering() {
        let ratios = heavyTailedRatios(draws: 3)
        for (bits, ptqOverPsq, psqOverBhq) in ratios {
            XCTAssertGreaterThan(ptqOverPsq, 3, "\(bits) bits: PTQ/PSQ \(ptqOverPsq)")
            XCTAssertGreaterThan(psqOverBhq, 3, "\(bits) bits: PSQ/BHQ \(psqOverBhq)")
        }
    }

    // MARK: Determinism

    /// Oracle: exact equality. Codes are a pure function of (input, key).
    func testSameKeySameCodesDifferentKeyDifferentCodes() {
        var stream = RandomStream(key: root.derived("determinism data"))
        let rows = 8, cols = 300
        let x: [Float] = randomFilled(rows * cols, &stream) { $0.fillNormal($1) }
        let a = root.derived("a"), b = root.derived("b")
        x.withUnsafeBufferPointer { input in
            let ptq = { (key: RandomKey) in GradientQuantizer.perTensor(input, rows: rows, cols: cols, bits: 4, key: key).codes }
            XCTAssertEqual(ptq(a), ptq(a))
            XCTAssertNotEqual(ptq(a), ptq(b))
            for grouping in [AffineCodes.Grouping.rows, .columns] {
                let psq = { (key: RandomKey) in
                    GradientQuantizer.perGroup(input, rows: rows, cols: cols, bits: 4, grouping: grouping, key: key).codes
                }
                XCTAssertEqual(psq(a), psq(a), "\(grouping)")
                XCTAssertNotEqual(psq(a), psq(b), "\(grouping)")
            }
            let bhq = { (key: RandomKey) in GradientQuantizer.blockHouseholder(input, rows: rows, cols: cols, bits: 4, key: key).codes.codes }
            XCTAssertEqual(bhq(a), bhq(a))
            XCTAssertNotEqual(bhq(a), bhq(b))
        }
    }

    // MARK: Helpers

    private static let configurations: [(GradientQuantizerKind, AffineCodes.Grouping)] =
        [(.ptq, .tensor), (.psq, .rows), (.psq, .columns), (.bhq, .rows)]

    /// Per-element mean and population variance of Q(x) − x over `draws` keys.
    private func errorMoments(_ x: [Float], rows: Int, cols: Int, kind: GradientQuantizerKind, grouping: AffineCodes.Grouping,
                              bits: Int, draws: Int, key: RandomKey) -> (mean: [Double], variance: [Double]) {
        var sum = [Double](repeating: 0, count: x.count), squares = sum
        for draw in 0..<draws {
            let q = GradientQuantizer.quantizeDequantize(x, rows: rows, cols: cols, kind: kind, grouping: grouping,
                                                         bits: bits, key: key.derived(UInt64(draw)))
            for e in x.indices {
                let d = Double(q[e]) - Double(x[e])
                sum[e] += d
                squares[e] += d * d
            }
        }
        let mean = sum.map { $0 / Double(draws) }
        let variance = x.indices.map { max(squares[$0] / Double(draws) - mean[$0] * mean[$0], 0) }
        return (mean, variance)
    }

    /// Each element's quantization step for PTQ/PSQ (nil for BHQ, whose noise is mixed by T⁻¹).
    private func elementSteps(_ x: [Float], rows: Int, cols: Int, kind: GradientQuantizerKind,
                              grouping: AffineCodes.Grouping, bits: Int) -> [Double]? {
        let codes: AffineCodes
        switch kind {
        case .bhq: return nil
        case .ptq: codes = x.withUnsafeBufferPointer { GradientQuantizer.perTensor($0, rows: rows, cols: cols, bits: bits, key: root) }
        case .psq: codes = x.withUnsafeBufferPointer {
            GradientQuantizer.perGroup($0, rows: rows, cols: cols, bits: bits, grouping: grouping, key: root)
        }
        }
        return x.indices.map { e in
            switch codes.grouping {
            case .tensor: return Double(codes.step[0])
            case .rows: return Double(codes.step[e / cols])
            case .columns: return Double(codes.step[e % cols])
            }
        }
    }

    /// Mean over draws of ‖Q(x) − x‖² / count for the fixed matrix.
    private func meanSquaredError(_ x: [Float], kind: GradientQuantizerKind, grouping: AffineCodes.Grouping,
                                  bits: Int, draws: Int, key: RandomKey) -> Double {
        var total = 0.0
        for draw in 0..<draws {
            let q = GradientQuantizer.quantizeDequantize(x, rows: fixedRows, cols: fixedCols, kind: kind, grouping: grouping,
                                                         bits: bits, key: key.derived(UInt64(draw)))
            total += squaredDistance(q, x)
        }
        return total / Double(draws * x.count)
    }

    private func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var total = 0.0
                for i in 0..<pa.count {
                    let d = Double(pa[i]) - Double(pb[i])
                    total += d * d
                }
                return total
            }
        }
    }

    /// (bits, PTQ/PSQ, PSQ/BHQ) mean-squared-error ratios on the heavy-tailed synthetic gradient.
    func heavyTailedRatios(draws: Int) -> [(bits: Int, ptqOverPsq: Double, psqOverBhq: Double)] {
        let rows = 64, cols = 2048
        var stream = RandomStream(key: root.derived("heavy tailed"))
        let logScales: [Float] = randomFilled(rows, &stream) { $0.fillNormal($1, std: 1.5) }
        var x: [Float] = randomFilled(rows * cols, &stream) { $0.fillNormal($1) }
        x.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<rows {
                let scale = exp(logScales[r]) * (r % 20 == 7 ? 50 : 1)  // rows 7, 27, 47 × 50
                for c in 0..<cols { buffer[r * cols + c] *= scale }
            }
        }
        return [5, 8].map { bits in
            var error: [GradientQuantizerKind: Double] = [:]
            for kind in GradientQuantizerKind.allCases {
                for draw in 0..<draws {
                    let q = GradientQuantizer.quantizeDequantize(x, rows: rows, cols: cols, kind: kind,
                                                                 grouping: kind == .ptq ? .tensor : .rows, bits: bits,
                                                                 key: root.derived("heavy \(bits) \(kind)").derived(UInt64(draw)))
                    error[kind, default: 0] += squaredDistance(q, x)
                }
            }
            return (bits, error[.ptq]! / error[.psq]!, error[.psq]! / error[.bhq]!)
        }
    }

    private func assertStructure(_ transform: BlockHouseholder, n: Int, _ message: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(transform.rows, n, message, file: file, line: line)
        XCTAssertEqual(transform.leaderCount + transform.smallCount, n, message, file: file, line: line)
        XCTAssertEqual(transform.allocation.reduce(0, +), transform.smallCount, message, file: file, line: line)
        XCTAssertEqual(transform.blockSizes.count, transform.leaderCount, message, file: file, line: line)
        XCTAssertEqual(transform.blockSizes.reduce(0, +), n, message, file: file, line: line)
        XCTAssertTrue(transform.blockSizes.allSatisfy { $0 >= 2 }, "\(message): \(transform.blockSizes)", file: file, line: line)
        XCTAssertEqual(transform.members.sorted(), Array(0..<n), message, file: file, line: line)
        XCTAssertTrue(transform.scales.allSatisfy { $0.isFinite && $0 > 0 }, message, file: file, line: line)
    }
}
