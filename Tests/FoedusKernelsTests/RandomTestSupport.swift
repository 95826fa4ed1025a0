import FoedusKernels
import XCTest

/// A fill of a stream into a fresh array of `count` elements.
func randomFilled<T: BinaryFloatingPoint>(
    _ count: Int, _ stream: inout RandomStream,
    _ fill: (inout RandomStream, UnsafeMutableBufferPointer<T>) -> Void
) -> [T] {
    var values = [T](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { fill(&stream, $0) }
    return values
}

/// Bit-exact comparison (distinguishes −0 from +0).
func assertRandomBitIdentical<T: BinaryFloatingPoint>(
    _ a: [T], _ b: [T], _ message: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    let firstDifference = a.indices.first { i in
        i < b.count && (a[i] != b[i] || a[i].sign != b[i].sign)
    }
    XCTAssertNil(firstDifference, message, file: file, line: line)
}

/// Sample mean and (population) variance, accumulated in Double.
func randomMeanAndVariance<T: BinaryFloatingPoint>(_ values: [T]) -> (mean: Double, variance: Double) {
    var sum = 0.0
    for value in values { sum += Double(value) }
    let mean = sum / Double(values.count)
    var squares = 0.0
    for value in values {
        let deviation = Double(value) - mean
        squares += deviation * deviation
    }
    return (mean, squares / Double(values.count))
}

/// Pearson chi-square statistic of `counts` against equal expected counts.
func randomChiSquareAgainstUniform(_ counts: [Int]) -> Double {
    let expected = Double(counts.reduce(0, +)) / Double(counts.count)
    return counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
}
