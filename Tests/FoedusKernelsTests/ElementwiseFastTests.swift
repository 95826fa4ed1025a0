import XCTest
import FoedusKernels

/// The vectorised C loops against the scalar Swift reference twins (`apply`, `reduce`), on
/// run lengths that are not multiples of any vector width and with broadcast operands.
final class ElementwiseFastTests: XCTestCase {
    private func values<T: KernelFloat>(_ n: Int, _ salt: Int, _: T.Type) -> [T] {
        (0..<n).map { T(Double(($0 * 37 + salt * 11) % 101) / 13 - 3.7) }
    }

    func testBinaryMatchesReferenceExactly() {
        // Oracle: the scalar definition; the same IEEE operation per element, so equality is exact.
        for op in [BinaryKernelOp.add, .sub, .mul, .div, .maximum, .minimum, .greater, .greaterEqual, .less, .lessEqual, .equal, .notEqual] {
            for shape in [[1], [37], [3, 1, 19], [2, 5, 33]] {
                let bShape = shape.count == 3 ? [shape[0], 1, shape[2]] : shape
                let n = shape.reduce(1, *), nb = bShape.reduce(1, *)
                let a = values(n, 1, Float.self), b = values(nb, 2, Float.self)
                let bStrides: [Int] = shape.count == 3 ? [shape[2], 0, 1] : [1]
                let aStrides = StridedPlan.contiguousStrides(shape)
                var fast = [Float](repeating: 0, count: n), reference = fast
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                    fast.withUnsafeMutableBufferPointer { po in
                        ElementwiseKernels.binary(op, pa.baseAddress!, strides: aStrides, pb.baseAddress!, strides: bStrides, po.baseAddress!, shape: shape)
                    }
                    reference.withUnsafeMutableBufferPointer { po in
                        ElementwiseKernels.zip(pa.baseAddress!, strides: aStrides, pb.baseAddress!, strides: bStrides, po.baseAddress!, shape: shape) { op.apply($0, $1) }
                    }
                } }
                XCTAssertEqual(fast, reference, "\(op) \(shape)")
            }
        }
    }

    func testUnaryMatchesReference() {
        // Exact for the arithmetic ops; 2 ulp-level (1e-6 relative) for libm functions, whose
        // vector and scalar versions may round differently.
        let x = values(1003, 3, Double.self).map { $0 == 0 ? 0.5 : $0 }
        for op in [UnaryKernelOp.neg, .exp, .log, .sqrt, .tanh, .erf, .abs, .sign, .square, .pow, .relu, .step] {
            let input = (op == .log || op == .sqrt || op == .pow) ? x.map { Swift.abs($0) } : x
            var out = [Double](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in
                ElementwiseKernels.unary(op, p.baseAddress!, o.baseAddress!, count: input.count, parameter: 1.7)
            } }
            for (i, v) in input.enumerated() {
                let r = op.apply(v, 1.7)
                XCTAssertEqual(out[i], r, accuracy: 1e-12 * Swift.max(1, Swift.abs(r)), "\(op) at \(i)")
            }
        }
    }

    func testReductionsMatchReference() {
        // Sum: a different (fixed) association than the sequential reference, so 1e-12 relative in
        // Double; max: exact.
        let shape = [3, 5, 131]
        let x = values(shape.reduce(1, *), 4, Double.self)
        for axes in [[2], [1], [0, 2]] {
            let keep = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            let outStrides = zip(StridedPlan.contiguousStrides(keep), keep).map { $1 == 1 ? 0 : $0 }
            for isMax in [false, true] {
                var fast = [Double](repeating: isMax ? -.infinity : 0, count: keep.reduce(1, *)), reference = fast
                x.withUnsafeBufferPointer { p in
                    fast.withUnsafeMutableBufferPointer { o in ElementwiseKernels.reduceFast(p.baseAddress!, shape: shape, o.baseAddress!, outStrides: outStrides, isMax: isMax) }
                    reference.withUnsafeMutableBufferPointer { o in
                        ElementwiseKernels.reduce(p.baseAddress!, shape: shape, o.baseAddress!, outStrides: outStrides) { isMax ? Swift.max($0, $1) : $0 + $1 }
                    }
                }
                for (f, r) in zip(fast, reference) { XCTAssertEqual(f, r, accuracy: isMax ? 0 : 1e-12 * Swift.max(1, Swift.abs(r)), "axes \(axes) max \(isMax)") }
            }
        }
    }
}
