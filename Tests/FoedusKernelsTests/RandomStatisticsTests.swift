import FoedusKernels
import XCTest

/// Statistical checks. Every stream has a fixed key, so each test is deterministic; the
/// tolerances are what a correct generator would meet with overwhelming probability for a
/// random key: 6σ of the estimator (two-sided p ≈ 2·10⁻⁹) or a chi-square critical value at
/// α = 0.001.
final class RandomStatisticsTests: XCTestCase {
    private let n = 1_000_000
    private let root = RandomKey(seed: 2024).derived("statistics")

    // MARK: Uniform

    /// Oracle U(0,1): mean ½, σ_mean = √(1/12)/√n; variance 1/12, σ_var = √(1/180)/√n
    /// (Var[(U−½)²] = 1/80 − 1/144); lag-1 correlation 0, σ = 1/√n.
    func testUniformMomentsFloat() {
        var stream = RandomStream(key: root.derived("uniform Float"))
        let values: [Float] = randomFilled(n, &stream) { $0.fillUniform($1) }
        assertUniformMoments(values.map(Double.init))
    }

    func testUniformMomentsDouble() {
        var stream = RandomStream(key: root.derived("uniform Double"))
        let values: [Double] = randomFilled(n, &stream) { $0.fillUniform($1) }
        assertUniformMoments(values)
    }

    /// Oracle: the rounding uniforms are (k + ½)/2¹⁶ with k uniform on 0 … 65535: mean ½ and
    /// variance (1 − 2⁻³²)/12 (the uniform moments' 6σ bounds), and the 2¹⁶ values equally likely
    /// (chi-square, 65535 degrees of freedom, α = 0.001: critical value from the Wilson–Hilferty
    /// approximation, 66 659; n = 2²⁰ draws, 16 expected per value).
    func testRoundingUniformMomentsAndValues() {
        var stream = RandomStream(key: root.derived("rounding uniforms"))
        let values: [Float] = randomFilled(n, &stream) { $0.fillRoundingUniforms($1) }
        assertUniformMoments(values.map(Double.init))
        let draws = 1 << 20
        let many: [Float] = randomFilled(draws, &stream) { $0.fillRoundingUniforms($1) }
        var counts = [Int](repeating: 0, count: 1 << 16)
        for u in many { counts[Int((u * 0x1p16).rounded(.down))] += 1 }
        let expected = Double(draws) / Double(counts.count)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        let df = Double(counts.count - 1), z = 3.0902
        let base = 1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot()
        let critical = df * base * base * base
        XCTAssertLessThan(chiSquare, critical)
    }

    /// Shifted range: U(−3, 5) has mean 1 and variance 64/12.
    func testUniformShiftedRange() {
        var stream = RandomStream(key: root.derived("uniform shifted"))
        let values: [Float] = randomFilled(n, &stream) { $0.fillUniform($1, low: -3, high: 5) }
        let (mean, variance) = randomMeanAndVariance(values)
        let sd = 8 * (1.0 / 12).squareRoot()
        XCTAssertEqual(mean, 1, accuracy: 6 * sd / Double(n).squareRoot())
        XCTAssertEqual(variance, 64.0 / 12, accuracy: 6 * 64 * (1.0 / 180).squareRoot() / Double(n).squareRoot())
        XCTAssertTrue(values.allSatisfy { $0 >= -3 && $0 < 5 })
    }

    /// `high` is never returned: plain ranges over many draws, plus ranges only a few ulps
    /// wide where `low + u · (high − low)` rounds up to `high` for a quarter of the draws.
    func testUniformNeverReturnsHigh() {
        var stream = RandomStream(key: root.derived("uniform high"))
        for (low, high) in [(Float(0), Float(1)), (-1, 1), (1, 1.5)] {
            let values: [Float] = randomFilled(n, &stream) { $0.fillUniform($1, low: low, high: high) }
            XCTAssertTrue(values.allSatisfy { $0 >= low && $0 < high }, "[\(low), \(high))")
        }
        // 1e8 has Float ulp 8: [1e8, 1e8 + 16) holds exactly 1e8 and 1e8 + 8.
        let narrow: [Float] = randomFilled(100_000, &stream) { $0.fillUniform($1, low: 1e8, high: 1e8 + 16) }
        XCTAssertTrue(narrow.allSatisfy { $0 == 1e8 || $0 == 1e8 + 8 })
        // 2⁶⁰ has Double ulp 256.
        let low = 0x1p60
        let narrowDouble: [Double] = randomFilled(100_000, &stream) { $0.fillUniform($1, low: low, high: low + 512) }
        XCTAssertTrue(narrowDouble.allSatisfy { $0 == low || $0 == low + 256 })
        let plain: [Double] = randomFilled(n, &stream) { $0.fillUniform($1, low: -1, high: 1) }
        XCTAssertTrue(plain.allSatisfy { $0 >= -1 && $0 < 1 })
    }

    // MARK: Normal

    /// Oracle N(0,1): mean 0, σ_mean = 1/√n; variance 1, σ_var = √2/√n; P(|Z| < 1) = 0.682689,
    /// P(|Z| > 3) = 0.0026998, σ = √(p(1−p)/n); correlation of a Box–Muller pair's halves 0.
    func testNormalMomentsFloat() {
        var stream = RandomStream(key: root.derived("normal Float"))
        let values: [Float] = randomFilled(n, &stream) { $0.fillNormal($1) }
        assertStandardNormal(values.map(Double.init))
    }

    func testNormalMomentsDouble() {
        var stream = RandomStream(key: root.derived("normal Double"))
        let values: [Double] = randomFilled(n, &stream) { $0.fillNormal($1) }
        assertStandardNormal(values)
    }

    func testNormalMeanAndStd() {
        var stream = RandomStream(key: root.derived("normal shifted"))
        let floats: [Float] = randomFilled(n, &stream) { $0.fillNormal($1, mean: 3, std: 2) }
        assertStandardNormal(floats.map { (Double($0) - 3) / 2 })
        let doubles: [Double] = randomFilled(n, &stream) { $0.fillNormal($1, mean: -1, std: 0.5) }
        assertStandardNormal(doubles.map { ($0 + 1) / 0.5 })
        let constant: [Float] = randomFilled(1000, &stream) { $0.fillNormal($1, mean: 4, std: 0) }
        XCTAssertTrue(constant.allSatisfy { $0 == 4 })
    }

    // MARK: Discrete

    /// Oracle Bernoulli(0.3): frequency 0.3, σ = √(0.21/n).
    func testBernoulliFrequency() {
        var stream = RandomStream(key: root.derived("Bernoulli"))
        let floats: [Float] = randomFilled(n, &stream) { $0.fillBernoulli($1, p: 0.3) }
        XCTAssertTrue(floats.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(randomMeanAndVariance(floats).mean, 0.3, accuracy: 6 * (0.21 / Double(n)).squareRoot())
        let doubles: [Double] = randomFilled(n, &stream) { $0.fillBernoulli($1, p: 0.3) }
        XCTAssertTrue(doubles.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertEqual(randomMeanAndVariance(doubles).mean, 0.3, accuracy: 6 * (0.21 / Double(n)).squareRoot())

        let never: [Float] = randomFilled(100_000, &stream) { $0.fillBernoulli($1, p: 0) }
        XCTAssertTrue(never.allSatisfy { $0 == 0 })
        let always: [Double] = randomFilled(100_000, &stream) { $0.fillBernoulli($1, p: 1) }
        XCTAssertTrue(always.allSatisfy { $0 == 1 })
    }

    /// Oracle Rademacher: values ±1, mean 0, σ_mean = 1/√n; lag-1 correlation 0, σ = 1/√n.
    func testRademacherMean() {
        var stream = RandomStream(key: root.derived("Rademacher"))
        let floats: [Float] = randomFilled(n, &stream) { $0.fillRademacher($1) }
        XCTAssertTrue(floats.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertEqual(randomMeanAndVariance(floats).mean, 0, accuracy: 6 / Double(n).squareRoot())
        XCTAssertEqual(lagOneCorrelation(floats.map(Double.init)), 0, accuracy: 6 / Double(n).squareRoot())
        let doubles: [Double] = randomFilled(n, &stream) { $0.fillRademacher($1) }
        XCTAssertTrue(doubles.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertEqual(randomMeanAndVariance(doubles).mean, 0, accuracy: 6 / Double(n).squareRoot())
    }

    /// Oracle: 70,000 draws below 7 give 10,000 per value; chi-square with 6 degrees of
    /// freedom stays below 22.458 (α = 0.001).
    func testUniformIntChiSquare() {
        var stream = RandomStream(key: root.derived("uniformInt"))
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let value = stream.uniformInt(below: 7)
            XCTAssertTrue((0..<7).contains(value))
            counts[value] += 1
        }
        XCTAssertLessThan(randomChiSquareAgainstUniform(counts), 22.458, "\(counts)")
    }

    /// Oracle: for uniform permutations of 10 elements the first entry is uniform; over 50,000
    /// permutations, chi-square with 9 degrees of freedom stays below 27.877 (α = 0.001).
    /// The same for the last entry, which Fisher–Yates draws first.
    func testPermutationIsUniformPermutation() {
        var stream = RandomStream(key: root.derived("permutation"))
        var firstCounts = [Int](repeating: 0, count: 10)
        var lastCounts = [Int](repeating: 0, count: 10)
        for _ in 0..<50_000 {
            let permutation = stream.permutation(10)
            XCTAssertEqual(permutation.sorted(), Array(0..<10))
            firstCounts[permutation[0]] += 1
            lastCounts[permutation[9]] += 1
        }
        XCTAssertLessThan(randomChiSquareAgainstUniform(firstCounts), 27.877, "\(firstCounts)")
        XCTAssertLessThan(randomChiSquareAgainstUniform(lastCounts), 27.877, "\(lastCounts)")
        let large = stream.permutation(100_000)
        XCTAssertEqual(large.sorted(), Array(0..<100_000))
    }

    /// Oracle: draws of different kinds at the same offsets are independent, so the
    /// correlation of uniform and normal fills over the same range is 0, σ = 1/√n.
    func testKindsAtSameOffsetAreUncorrelated() {
        let key = root.derived("domains")
        var a = RandomStream(key: key)
        var b = RandomStream(key: key)
        let uniform: [Double] = randomFilled(n, &a) { $0.fillUniform($1) }
        let normal: [Double] = randomFilled(n, &b) { $0.fillNormal($1) }
        XCTAssertEqual(correlation(uniform, normal), 0, accuracy: 6 / Double(n).squareRoot())
    }

    // MARK: Helpers

    private func assertUniformMoments(_ values: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let root = Double(n).squareRoot()
        let (mean, variance) = randomMeanAndVariance(values)
        XCTAssertEqual(mean, 0.5, accuracy: 6 * (1.0 / 12).squareRoot() / root, file: file, line: line)
        XCTAssertEqual(variance, 1.0 / 12, accuracy: 6 * (1.0 / 180).squareRoot() / root, file: file, line: line)
        XCTAssertEqual(lagOneCorrelation(values), 0, accuracy: 6 / root, file: file, line: line)
        XCTAssertTrue(values.allSatisfy { $0 >= 0 && $0 < 1 }, file: file, line: line)
    }

    private func assertStandardNormal(_ values: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let count = Double(values.count)
        let (mean, variance) = randomMeanAndVariance(values)
        XCTAssertEqual(mean, 0, accuracy: 6 / count.squareRoot(), file: file, line: line)
        XCTAssertEqual(variance, 1, accuracy: 6 * 2.0.squareRoot() / count.squareRoot(), file: file, line: line)
        let withinOne = Double(values.filter { abs($0) < 1 }.count) / count
        let p1 = 0.682_689_492
        XCTAssertEqual(withinOne, p1, accuracy: 6 * (p1 * (1 - p1) / count).squareRoot(), file: file, line: line)
        let beyondThree = Double(values.filter { abs($0) > 3 }.count) / count
        let p3 = 0.002_699_796
        XCTAssertEqual(beyondThree, p3, accuracy: 6 * (p3 * (1 - p3) / count).squareRoot(), file: file, line: line)
        XCTAssertTrue(values.allSatisfy { $0.isFinite }, file: file, line: line)
        // Halves of one Box–Muller pair (elements 2k, 2k + 1) are independent.
        let cosines = stride(from: 0, to: values.count - 1, by: 2).map { values[$0] }
        let sines = stride(from: 1, to: values.count, by: 2).map { values[$0] }
        XCTAssertEqual(
            correlation(cosines, sines), 0, accuracy: 6 / Double(cosines.count).squareRoot(), file: file, line: line)
    }

    private func lagOneCorrelation(_ values: [Double]) -> Double {
        correlation(Array(values.dropLast()), Array(values.dropFirst()))
    }

    private func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let (meanX, varianceX) = randomMeanAndVariance(x)
        let (meanY, varianceY) = randomMeanAndVariance(y)
        var sum = 0.0
        for i in x.indices { sum += (x[i] - meanX) * (y[i] - meanY) }
        return sum / Double(x.count) / (varianceX * varianceY).squareRoot()
    }
}
