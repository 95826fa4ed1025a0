import XCTest
import FoedusNN
import FoedusTensor

/// Deterministic test values in `[low, high)`, drawn from a counter-based stream so every run
/// sees the same inputs.
func testValues(_ count: Int, seed: UInt64, low: Double = -1, high: Double = 1) -> [Double] {
    Tensor.random(.uniform(low: low, high: high), shape: [count], key: RandomKey(seed: seed), dtype: .float64).doubles
}

/// A tensor of `dtype` holding `values` (rounded to Float32 when `dtype` is `.float32`).
func tensor(_ values: [Double], _ shape: [Int], _ dtype: DType = .float64) -> Tensor {
    switch dtype {
    case .float32: return Tensor(shape: shape, scalars: values.map { Float($0) })
    case .float64: return Tensor(shape: shape, scalars: values)
    case .int32: return Tensor(shape: shape, scalars: values.map { Int32($0) })
    }
}

/// `values` as the dtype would store them, so Double references see exactly the Float32 inputs.
func rounded(_ values: [Double], _ dtype: DType) -> [Double] {
    dtype == .float32 ? values.map { Double(Float($0)) } : values
}

/// Asserts `|actual − expected| ≤ absolute + relative·|expected|` element by element, naming
/// the first offending index.
func assertClose(_ actual: [Double], _ expected: [Double], absolute: Double, relative: Double = 0,
                 _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= absolute + relative * abs(e)) {
        XCTFail("\(what)[\(i)]: \(a) vs expected \(e) (|Δ| \(abs(a - e)), tolerance \(absolute) + \(relative)·|e|)", file: file, line: line)
        return
    }
}

/// The gradient of `f` at `x` by Float64 central differences with step `h`.
func centralDifferences(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var probe = x
    return x.indices.map { i in
        probe[i] = x[i] + h
        let up = f(probe)
        probe[i] = x[i] - h
        let down = f(probe)
        probe[i] = x[i]
        return (up - down) / (2 * h)
    }
}

/// Runs `layer` on `input` with `parameters` (names relative to the layer) and returns the
/// output and the buffers after the pass.
func runLayer(_ layer: any Layer, _ input: Tensor, parameters: ParameterSet, buffers: ParameterSet = ParameterSet(),
              mode: Mode = .train, key: RandomKey? = nil) -> (output: Tensor, buffers: ParameterSet) {
    var context = LayerContext(parameters: parameters, buffers: buffers, mode: mode, key: key)
    let y = layer.forward(input, context: &context)
    return (y, context.buffers)
}

/// The pullback `Jᵀ·cotangent` of `layer` with respect to its input and each parameter, taken
/// with ``valueAndPullback(of:at:cotangent:)``: the first element is the input's.
func layerPullback(_ layer: any Layer, _ input: Tensor, parameters: ParameterSet, buffers: ParameterSet = ParameterSet(),
                   mode: Mode = .train, cotangent: Tensor) -> [Tensor] {
    valueAndPullback(of: { xs in
        var context = LayerContext(parameters: parameters.replacingTensors(Array(xs.dropFirst())), buffers: buffers, mode: mode)
        return layer.forward(xs[0], context: &context)
    }, at: [input] + parameters.tensors, cotangent: cotangent).pullback
}

/// `Σ cotangent·y` for a flat output `y`: the scalar whose gradient is the pullback.
func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
