import XCTest
import FoedusNN
import FoedusTensor

/// Dropout and Embedding. Oracles: exact equalities (bit patterns) for everything that is a
/// selection or a product by the single rounded scale `Float(1/(1−p))`; the dropped fraction is
/// checked against p within 5 binomial standard deviations.
final class DropoutEmbeddingLayerTests: XCTestCase {
    let shape = [4, 50, 50]
    var input: Tensor { tensor(testValues(shape.reduce(1, *), seed: 61, low: 0.5, high: 2), shape, .float32) }

    /// Training mode: every element is 0 or `x·Float(1/(1−p))` exactly, the same key gives the
    /// same mask, another key another mask, and about a fraction p is dropped.
    func testDropoutTrainingMaskIsDeterministicInTheKeyAndScaled() {
        let p = 0.3, layer = Dropout(p: p), x = input
        let key = RandomKey(seed: 7)
        let a = runLayer(layer, x, parameters: ParameterSet(), mode: .train, key: key).output
        let b = runLayer(layer, x, parameters: ParameterSet(), mode: .train, key: key).output
        let c = runLayer(layer, x, parameters: ParameterSet(), mode: .train, key: RandomKey(seed: 8)).output
        XCTAssertEqual(a.scalars(as: Float.self).map(\.bitPattern), b.scalars(as: Float.self).map(\.bitPattern), "same key, same mask")
        let scale = Float(1 / (1 - p))
        var dropped = 0
        for (y, x) in zip(a.scalars(as: Float.self), x.scalars(as: Float.self)) {
            if y == 0 { dropped += 1 } else { XCTAssertEqual(y.bitPattern, (x * scale).bitPattern, "kept value scaled by 1/(1−p)") }
        }
        let n = Double(x.scalarCount), fraction = Double(dropped) / n
        XCTAssertEqual(fraction, p, accuracy: 5 * (p * (1 - p) / n).squareRoot(), "dropped fraction")
        let maskA = a.scalars(as: Float.self).map { $0 == 0 }, maskC = c.scalars(as: Float.self).map { $0 == 0 }
        XCTAssertNotEqual(maskA, maskC, "another key, another mask")
    }

    /// Two dropout layers under one root key draw from their own paths, so their masks differ.
    func testDropoutLayersAtDifferentPathsDrawDifferentMasks() {
        let x = Tensor.ones([1000])
        let pair = Sequential([("a", Dropout(p: 0.5)), ("b", Dropout(p: 0.5))])
        var context = LayerContext(parameters: ParameterSet(), mode: .train, key: RandomKey(seed: 3))
        let first = context.child("a", Dropout(p: 0.5), x)
        let second = context.child("b", Dropout(p: 0.5), x)
        XCTAssertNotEqual(first.doubles, second.doubles)
        // Composition: the sequence keeps exactly the elements both masks keep, scaled twice.
        let both = runLayer(pair, x, parameters: ParameterSet(), mode: .train, key: RandomKey(seed: 3)).output
        XCTAssertEqual(both.doubles, zip(first.doubles, second.doubles).map { $0 == 0 || $1 == 0 ? 0 : 4 })
    }

    /// Evaluation mode is the identity, bit for bit, and needs no key.
    func testDropoutEvaluationIsIdentity() {
        let x = input
        let y = runLayer(Dropout(p: 0.5), x, parameters: ParameterSet(), mode: .eval).output
        XCTAssertEqual(y.scalars(as: Float.self).map(\.bitPattern), x.scalars(as: Float.self).map(\.bitPattern))
    }

    /// The pullback of dropout is the same mask and scale applied to the cotangent.
    func testDropoutGradientIsTheScaledMask() {
        let p = 0.25, x = Tensor.ones([2000], dtype: .float64), key = RandomKey(seed: 9)
        let y = runLayer(Dropout(p: p), x, parameters: ParameterSet(), mode: .train, key: key).output
        let cotangent = testValues(2000, seed: 62)
        let dx = valueAndPullback(of: { xs in
            var context = LayerContext(parameters: ParameterSet(), mode: .train, key: key)
            return Dropout(p: p).forward(xs[0], context: &context)
        }, at: [x], cotangent: tensor(cotangent, [2000])).pullback[0]
        // y is the scaled mask itself because x is all ones.
        assertClose(dx.doubles, zip(y.doubles, cotangent).map { $0 * $1 }, absolute: 0, relative: 1e-15, "∂x")
    }

    /// Rows are looked up exactly; the weight gradient adds the cotangent rows of repeated indices
    /// (integer-valued cotangents, so the sums are exact).
    func testEmbeddingLooksUpRowsAndScatterAddsGradients() {
        let count = 5, dimension = 3
        let weight = testValues(count * dimension, seed: 71)
        let indices: [Int32] = [0, 3, 4, 3, 1, 0]
        let layer = Embedding(count: count, dimension: dimension)
        let parameters = ParameterSet([("weight", tensor(weight, [count, dimension]))])
        let idx = Tensor(shape: [3, 2], scalars: indices)
        let y = runLayer(layer, idx, parameters: parameters).output
        XCTAssertEqual(y.shape, [3, 2, dimension])
        XCTAssertEqual(y.doubles, indices.flatMap { i in weight[(Int(i) * dimension)..<(Int(i) * dimension + dimension)] })

        let cotangent = (0..<(indices.count * dimension)).map { Double($0 % 7) - 3 }
        let dw = valueAndPullback(of: { ws in
            var context = LayerContext(parameters: ParameterSet([("weight", ws[0])]), mode: .train)
            return layer.forward(idx, context: &context)
        }, at: [parameters["weight"]!], cotangent: tensor(cotangent, [3, 2, dimension])).pullback[0]
        var expected = [Double](repeating: 0, count: count * dimension)
        for (k, i) in indices.enumerated() {
            for d in 0..<dimension { expected[Int(i) * dimension + d] += cotangent[k * dimension + d] }
        }
        XCTAssertEqual(dw.doubles, expected)
        XCTAssertEqual(ModelState(layer, key: RandomKey(seed: 1)).parameters["weight"]!.shape, [count, dimension])
    }
}
