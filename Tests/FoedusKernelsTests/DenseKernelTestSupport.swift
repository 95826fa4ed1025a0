import XCTest

/// SplitMix64: a tiny deterministic generator so the dense-kernel tests are reproducible
/// without depending on the library's own random module.
struct DenseKernelTestRNG {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1), with 53 random bits.
    mutating func symmetric() -> Double {
        Double(next() >> 11) * 0x1p-52 - 1
    }

    /// `count` values in [-1, 1), rounded to Float precision so Float and Double kernels see
    /// the same inputs exactly.
    mutating func floatExactValues(_ count: Int) -> [Double] {
        (0..<count).map { _ in Double(Float(symmetric())) }
    }
}

/// Helpers shared by the dense-kernel tests (namespaced so they cannot clash with other
/// test files in this target).
enum DenseKernelTest {
    /// Asserts `|actual[i] − expected[i]| ≤ relative · bound[i]` for every `i`, where `bound[i]`
    /// is the sum of absolute products feeding element `i` (the natural scale of its rounding
    /// error).
    static func assertWithinBound(
        _ actual: [Double], _ expected: [Double], bound: [Double], relative: Double,
        _ message: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, message(), file: file, line: line)
        var worst = 0.0
        var worstIndex = -1
        for i in 0..<min(actual.count, expected.count) {
            let error = abs(actual[i] - expected[i])
            guard error > relative * bound[i] || error.isNaN else { continue }
            let excess = bound[i] > 0 ? error / bound[i] : .infinity
            if worstIndex < 0 || excess > worst { worst = excess; worstIndex = i }
        }
        if worstIndex >= 0 {
            XCTFail("\(message()): element \(worstIndex) is \(actual[worstIndex]), expected \(expected[worstIndex]) "
                    + "(error / bound = \(worst), allowed \(relative))", file: file, line: line)
        }
    }

    static func floats(_ values: [Double]) -> [Float] { values.map { Float($0) } }
    static func doubles(_ values: [Float]) -> [Double] { values.map { Double($0) } }
    static func magnitudes(_ values: [Double]) -> [Double] { values.map { abs($0) } }

    /// `Σ lhs[i]·rhs[i]`.
    static func dot(_ lhs: [Double], _ rhs: [Double]) -> Double {
        zip(lhs, rhs).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
