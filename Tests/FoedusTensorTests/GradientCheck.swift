import XCTest
import FoedusTensor

/// Test inputs: seeded, signed, and of awkward sizes.
func randomTensor(_ shape: [Int], seed: UInt64, dtype: DType = .float64, low: Double = -1, high: Double = 1) -> Tensor {
    Tensor.random(.uniform(low: low, high: high), shape: shape, key: RandomKey(seed: seed), dtype: dtype)
}

/// Oracle: Float64 central differences, `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`. With h = 1e-5 the
/// truncation error is O(h²·f''') ≈ 1e-10 and the rounding error O(ε/h) ≈ 1e-11, both far below
/// the 1e-6 relative tolerance the checks use.
func centralDifferenceGradient(_ f: (Tensor) -> Tensor, at x: Tensor, h: Double = 1e-5) -> [Double] {
    precondition(x.dtype == .float64)
    var values = x.scalars(as: Double.self)
    var grad = [Double](repeating: 0, count: values.count)
    for i in 0..<values.count {
        let v = values[i]
        values[i] = v + h
        let up = f(Tensor(shape: x.shape, scalars: values)).item
        values[i] = v - h
        let down = f(Tensor(shape: x.shape, scalars: values)).item
        values[i] = v
        grad[i] = (up - down) / (2 * h)
    }
    return grad
}

/// ‖a − b‖ / max(‖b‖, 1e-12): a norm-wise relative error.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths \(a.count) vs \(b.count)")
    let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    let norm = b.map { $0 * $0 }.reduce(0, +).squareRoot()
    return diff / max(norm, 1e-12)
}

/// Checks the reverse-mode gradient of `f` (any output shape, projected onto a fixed random
/// cotangent so the whole Jacobian is exercised) against central differences in Float64.
func assertGradientsMatch(_ name: String, inputs: [Tensor], tolerance: Double = 1e-6, seed: UInt64 = 99,
                          file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
    let y0 = f(inputs)
    let projection = randomTensor(y0.shape, seed: seed, dtype: .float64, low: 0.5, high: 1.5)
    let scalarF: ([Tensor]) -> Tensor = { xs in (f(xs) * projection).sum() }
    let analytic = valueAndGradient(of: scalarF, at: inputs).gradient
    for i in 0..<inputs.count {
        let numeric = centralDifferenceGradient({ xi in
            var xs = inputs
            xs[i] = xi
            return scalarF(xs)
        }, at: inputs[i])
        let err = relativeError(analytic[i].doubles, numeric)
        XCTAssertLessThanOrEqual(err, tolerance, "\(name): input \(i) relative error \(err)", file: file, line: line)
    }
}

func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    let err = relativeError(a, b)
    XCTAssertLessThanOrEqual(err, tolerance, "\(message) relative error \(err)", file: file, line: line)
}
