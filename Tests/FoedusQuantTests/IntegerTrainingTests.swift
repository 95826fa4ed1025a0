import XCTest
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

/// The integer FQT path against its float fake-quant oracle, QAT's straight-through gradients,
/// and the unbiasedness of FQT gradients with respect to QAT.
final class IntegerTrainingTests: XCTestCase {
    // Odd sizes, negative inputs, stride 2 and padding: shapes that are no multiple of any vector width.
    let x = Tensor.random(.normal(mean: 0.3, std: 1.2), shape: [3, 2, 7, 5], key: RandomKey(seed: 1))
    let w = Tensor.random(.normal(mean: 0, std: 0.4), shape: [5, 2, 3, 3], key: RandomKey(seed: 2))
    let b = Tensor.random(.normal(mean: 0, std: 0.3), shape: [5], key: RandomKey(seed: 3))
    let xl = Tensor.random(.normal(mean: -0.2, std: 1), shape: [6, 11], key: RandomKey(seed: 4))
    let wl = Tensor.random(.normal(mean: 0, std: 0.5), shape: [3, 11], key: RandomKey(seed: 5))
    let bl = Tensor.random(.normal(mean: 0, std: 0.3), shape: [3], key: RandomKey(seed: 6))
    let geometries = [ConvolutionGeometry(padding: (1, 1)), ConvolutionGeometry(stride: (2, 2), padding: (1, 0))]

    func fqt(_ kind: GradientQuantizerKind, bits: Int) -> QuantizedTraining {
        QuantizedTraining(precision: .fqt, gradientQuantizer: kind, gradientBits: bits, weightGradientBits: bits == 8 ? 8 : 6)
    }

    /// Value and gradients of Σ y·R (R fixed, unequal weights) through `arithmetic`.
    func convGradients(_ a: any LayerArithmetic, geometry: ConvolutionGeometry, key: RandomKey) -> (Tensor, [Tensor]) {
        let probe = a.conv2d(x, weight: w, bias: b, geometry: geometry, mode: .eval, key: nil)
        let r = Tensor.random(.normal(mean: 0, std: 1), shape: probe.shape, key: RandomKey(seed: 9))
        let (value, grads) = valueAndGradient(of: { t in
            (a.conv2d(t[0], weight: t[1], bias: t[2], geometry: geometry, mode: .train, key: key) * r).sum()
        }, at: [x, w, b])
        return (value, grads)
    }

    func linearGradients(_ a: any LayerArithmetic, key: RandomKey) -> (Tensor, [Tensor]) {
        let r = Tensor.random(.normal(mean: 0, std: 1), shape: [6, 3], key: RandomKey(seed: 10))
        return valueAndGradient(of: { t in (a.linear(t[0], weight: t[1], bias: t[2], mode: .train, key: key) * r).sum() }, at: [xl, wl, bl])
    }

    /// ‖a − b‖₂ / ‖b‖₂.
    func l2RelativeError(_ a: [Double], _ b: [Double]) -> Double {
        let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        return diff / max(b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
    }

    /// Max |a − b| relative to max |b|.
    func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        let av = a.doubles, bv = b.doubles
        let scale = bv.map(abs).max() ?? 1
        return zip(av, bv).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    func testIntegerPathEqualsFakeQuantOracle() {
        // Oracle: the float simulation with the same quantizers and the same random keys. The
        // integer path sums exactly in int32 and rescales once; float accumulation rounds, so
        // the two agree to float32 rounding of sums of ≤ 288 terms: 1e-4 relative.
        for kind in GradientQuantizerKind.allCases {
            for bits in [8, 5] {
                let config = fqt(kind, bits: bits)
                for (gi, geometry) in geometries.enumerated() {
                    let key = RandomKey(seed: 77).derived(UInt64(gi))
                    let (vi, gInt) = convGradients(IntegerTrainingArithmetic(config), geometry: geometry, key: key)
                    let (vf, gSim) = convGradients(FakeQuantizedArithmetic(config, quantizeGradients: true), geometry: geometry, key: key)
                    XCTAssertEqual(vi.item, vf.item, accuracy: 1e-4 * max(1, abs(vf.item)), "\(kind) \(bits) value")
                    for (name, pair) in zip(["x", "w", "b"], zip(gInt, gSim)) {
                        XCTAssertLessThan(relativeError(pair.0, pair.1), 1e-4, "conv \(kind) \(bits) bits ∇\(name) geometry \(gi)")
                    }
                }
                let (_, lInt) = linearGradients(IntegerTrainingArithmetic(config), key: RandomKey(seed: 5))
                let (_, lSim) = linearGradients(FakeQuantizedArithmetic(config, quantizeGradients: true), key: RandomKey(seed: 5))
                for (name, pair) in zip(["x", "w", "b"], zip(lInt, lSim)) {
                    XCTAssertLessThan(relativeError(pair.0, pair.1), 1e-4, "linear \(kind) \(bits) bits ∇\(name)")
                }
            }
        }
    }

    /// x̃ and w̃ built from first principles: per-tensor activation step with an integer zero
    /// point over [min(x, 0), max(x, 0)], symmetric per-channel 8-bit weights.
    func dequantizedOperands() -> (Tensor, Tensor) {
        let xs = x.scalars(as: Float.self)
        let lo = min(xs.min()!, 0), hi = max(xs.max()!, 0)
        let step = (hi - lo) / 255, z = (-lo / step).rounded()
        let xq = Tensor(shape: x.shape, scalars: xs.map { (min(max(($0 * (1 / step)).rounded() + z, 0), 255) - z) * step })
        let ws = w.scalars(as: Float.self), k = ws.count / 5
        var wqv = [Float](repeating: 0, count: ws.count)
        for o in 0..<5 {
            let m = ws[(o * k)..<((o + 1) * k)].map(abs).max()!
            for i in 0..<k { wqv[o * k + i] = (ws[o * k + i] / (m / 127)).rounded() * (m / 127) }
        }
        return (xq, Tensor(shape: w.shape, scalars: wqv))
    }

    func testForwardIsTheFloatLayerOnDequantizedOperands() {
        // Oracle: float conv of the dequantized operands (1e-5: float32 rounding of ≤ 18-term sums).
        let (xq, wq) = dequantizedOperands()
        for geometry in geometries {
            let expected = Tensor.conv2d(xq, weight: wq, bias: b, stride: geometry.stride, padding: geometry.padding)
            let got = IntegerTrainingArithmetic(QuantizedTraining(precision: .fqt)).conv2d(x, weight: w, bias: b, geometry: geometry, mode: .eval, key: nil)
            XCTAssertLessThan(relativeError(got, expected), 1e-5)
            // 8-bit operands keep the layer within a few percent of float.
            let float = Tensor.conv2d(x, weight: w, bias: b, stride: geometry.stride, padding: geometry.padding)
            XCTAssertLessThan(relativeError(got, float), 0.03)
        }
    }

    func testQATGradientsAreStraightThrough() {
        // Oracle: QAT's backward is the float backward evaluated at the quantized operands
        // (straight-through estimator), computed here by differentiating float conv2d at (x̃, w̃).
        let (xq, wq) = dequantizedOperands()
        let geometry = geometries[1]
        let (_, g) = convGradients(FakeQuantizedArithmetic(QuantizedTraining(precision: .qat), quantizeGradients: false), geometry: geometry, key: RandomKey(seed: 1))
        let r = Tensor.random(.normal(mean: 0, std: 1), shape: [3, 5, 4, 2], key: RandomKey(seed: 9))
        let (_, expected) = valueAndGradient(of: { t in
            (Tensor.conv2d(t[0], weight: t[1], bias: t[2], stride: geometry.stride, padding: geometry.padding) * r).sum()
        }, at: [xq, wq, b])
        for (name, pair) in zip(["x", "w", "b"], zip(g, expected)) {
            XCTAssertLessThan(relativeError(pair.0, pair.1), 1e-5, "∇\(name)")
        }
    }

    func testFQTGradientIsUnbiasedForQAT() {
        // Oracle: E[FQT gradient] = QAT gradient (linearity of both backward GEMMs in G and
        // unbiased stochastic rounding). Over n = 600 keys the mean of every gradient element
        // lies within 6σ̂/√n of the QAT gradient (σ̂ the empirical std, + 1e-6 for σ̂ = 0).
        let qat = FakeQuantizedArithmetic(QuantizedTraining(precision: .qat), quantizeGradients: false)
        let (_, reference) = linearGradients(qat, key: RandomKey(seed: 0))
        for kind in GradientQuantizerKind.allCases {
            let a = IntegerTrainingArithmetic(fqt(kind, bits: 4))
            let n = 600
            var sums = reference.map { [Double](repeating: 0, count: $0.scalarCount) }
            var squares = sums
            for i in 0..<n {
                let (_, g) = linearGradients(a, key: RandomKey(seed: 1000).derived(UInt64(i)))
                for t in 0..<3 {
                    for (j, v) in g[t].doubles.enumerated() {
                        sums[t][j] += v
                        squares[t][j] += v * v
                    }
                }
            }
            var noisy = 0
            for t in 0..<3 {
                for (j, exact) in reference[t].doubles.enumerated() {
                    let mean = sums[t][j] / Double(n)
                    let sigma = (max(squares[t][j] / Double(n) - mean * mean, 0)).squareRoot()
                    if sigma > 1e-4 * abs(exact) + 1e-7 { noisy += 1 }
                    XCTAssertEqual(mean, exact, accuracy: 6 * sigma / Double(n).squareRoot() + 1e-6, "\(kind) input \(t) element \(j)")
                }
            }
            // 4-bit gradients are noisy: a test that cannot see noise could not see bias either.
            XCTAssertGreaterThan(noisy, 60, "\(kind): FQT gradients vary with the key")
        }
    }

    func testDeterministicInTheKey() {
        let a = IntegerTrainingArithmetic(fqt(.bhq, bits: 5))
        let (_, g1) = convGradients(a, geometry: geometries[0], key: RandomKey(seed: 3))
        let (_, g2) = convGradients(a, geometry: geometries[0], key: RandomKey(seed: 3))
        let (_, g3) = convGradients(a, geometry: geometries[0], key: RandomKey(seed: 4))
        for (p, q) in zip(g1, g2) { XCTAssertEqual(p.scalars(as: Float.self), q.scalars(as: Float.self)) }
        XCTAssertNotEqual(g1[1].scalars(as: Float.self), g3[1].scalars(as: Float.self))
    }

    func testWholeModelIntegerPathTracksTheOracle() {
        // cnn-gn end to end (conv, GN, ReLU, pooling, linear): the integer path and the float
        // oracle share keys, but float-rounded activations can land on the other side of a
        // rounding boundary in the next layer's quantizer, so agreement is statistical:
        // gradient relative error (‖·‖₂) below 2 %.
        let layer = SmallCNN(norm: .group)
        let model = Model(layer, key: RandomKey(seed: 8))
        let images = Tensor.random(.normal(mean: 0, std: 1), shape: [4, 1, 28, 28], key: RandomKey(seed: 12))
        let labels = Tensor(shape: [4], scalars: [Int32(1), 7, 3, 3])
        let config = fqt(.psq, bits: 8)
        func grads(_ a: any LayerArithmetic) -> ParameterSet {
            var m = model
            m.arithmetic = a
            return gradient(of: { p in m.loss(parameters: p, x: images, labels: labels, key: RandomKey(seed: 21)).loss }, at: m.state.parameters)
        }
        let gi = grads(IntegerTrainingArithmetic(config)), gf = grads(FakeQuantizedArithmetic(config, quantizeGradients: true))
        for name in gi.names {
            XCTAssertLessThan(l2RelativeError(gi[name]!.doubles, gf[name]!.doubles), 0.02, name)
        }
    }

    func testResNetTrainsFullyQuantized() throws {
        // ResNet-20-GN (stride-2 convs, 1×1 shortcuts, padding 0 and 1, global pooling) on 3
        // channels: FQT gradients track the float oracle (same statistical bound as cnn-gn) and
        // a few FQT SGD steps on one fixed batch lower its loss (oracle: the loss itself).
        let layer = try ModelCatalog.make("resnet20-gn", classes: 4, inputChannels: 3, imageSize: 8, width: 8)
        var model = Model(layer, key: RandomKey(seed: 3))
        let images = Tensor.random(.normal(mean: 0, std: 1), shape: [6, 3, 8, 8], key: RandomKey(seed: 4))
        let labels = Tensor(shape: [6], scalars: [Int32(0), 1, 2, 3, 1, 2])
        let config = fqt(.bhq, bits: 6)
        func grads(_ a: any LayerArithmetic) -> ParameterSet {
            var m = model
            m.arithmetic = a
            return gradient(of: { p in m.loss(parameters: p, x: images, labels: labels, key: RandomKey(seed: 5)).loss }, at: m.state.parameters)
        }
        let gi = grads(IntegerTrainingArithmetic(config)), gf = grads(FakeQuantizedArithmetic(config, quantizeGradients: true))
        XCTAssertLessThan(l2RelativeError(gi.names.flatMap { gi[$0]!.doubles }, gi.names.flatMap { gf[$0]!.doubles }), 0.05)
        model.arithmetic = IntegerTrainingArithmetic(config)
        var sgd = SGD(learningRate: 0.05, momentum: 0.9)
        let first = model.trainStep(x: images, labels: labels, optimizer: &sgd, key: RandomKey(seed: 0))
        var last = first
        for step in 1..<15 { last = model.trainStep(x: images, labels: labels, optimizer: &sgd, key: RandomKey(seed: UInt64(step))) }
        XCTAssertLessThan(last, first * 0.7, "loss \(first) → \(last)")
    }

    func testDivergedValuesBecomeNaNInsteadOfTrapping() {
        // A diverged client (NaN weight, infinite activation) must surface as a NaN loss, which
        // the trainers report, not as a trap in a float-to-integer conversion.
        var bad = w.scalars(as: Float.self)
        bad[7] = .nan
        let wNaN = Tensor(shape: w.shape, scalars: bad)
        var xs = x.scalars(as: Float.self)
        xs[3] = .infinity
        let xInf = Tensor(shape: x.shape, scalars: xs)
        for a in [IntegerTrainingArithmetic(fqt(.bhq, bits: 5)), FakeQuantizedArithmetic(fqt(.psq, bits: 5), quantizeGradients: true)] as [any LayerArithmetic] {
            let y1 = a.conv2d(x, weight: wNaN, bias: b, geometry: geometries[0], mode: .eval, key: nil)
            XCTAssertTrue(y1.doubles.contains { $0.isNaN })
            let y2 = a.conv2d(xInf, weight: w, bias: b, geometry: geometries[0], mode: .eval, key: nil)
            XCTAssertTrue(y2.doubles.allSatisfy { $0.isNaN })
            let geometry = geometries[0]
            let g = valueAndGradient(of: { (t: [Tensor]) -> Tensor in
                a.conv2d(t[0], weight: t[1], bias: t[2], geometry: geometry, mode: .train, key: RandomKey(seed: 1)).sum()
            }, at: [x, wNaN, b]).gradient
            XCTAssertTrue(g[1].doubles.allSatisfy { $0.isNaN })
        }
    }
}
