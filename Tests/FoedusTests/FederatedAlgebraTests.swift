import XCTest
import Foedus
import FoedusTensor

/// Aggregation algebra with unequal models and weights (reference §1.9 test 3 and 4).
final class FederatedAlgebraTests: XCTestCase {
    private func model(_ seed: UInt64) -> ParameterSet {
        ParameterSet([("w", Tensor.random(.normal(mean: 0, std: 1), shape: [3, 5], key: RandomKey(seed: seed))),
                      ("b", Tensor.random(.uniform(low: -2, high: 2), shape: [5], key: RandomKey(seed: seed + 100)))])
    }

    func testWeightedMeanWithUnequalWeights() {
        // Oracle: Σ wᵢxᵢ / Σ wᵢ computed in Double from the scalars; tolerance 1e-6 for the final
        // Float32 rounding.
        let models = (1...4).map { model(UInt64($0)) }
        let weights = [1.0, 3.0, 0.5, 7.25]
        var mean = WeightedMean()
        for (m, w) in zip(models, weights) { mean.add(m, weight: w) }
        let result = mean.mean()!
        for name in ["w", "b"] {
            let expected = (0..<models[0][name]!.scalarCount).map { i in
                zip(models, weights).map { $0[name]!.doubles[i] * $1 }.reduce(0, +) / weights.reduce(0, +)
            }
            assertClose(result[name]!.doubles, expected, 1e-6)
        }
        XCTAssertEqual(mean.count, 4)
    }

    func testGroupingWithEqualGroupsEqualsPlainMean() {
        // Two groups of 5 users plus one replica each: the mean of the two group means equals the
        // plain mean of all 12 models (equal group sizes).
        let members = (0..<12).map { model(UInt64(10 + $0)) }
        let plan = GroupPlan(participants: 10, groups: 2)
        XCTAssertEqual(plan.slots, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
        var groupMeans: [ParameterSet] = []
        for g in 0..<2 {
            var m = WeightedMean()
            m.add(members[10 + g], weight: 1)                       // the replica
            for slot in plan.slots[g] { m.add(members[slot], weight: 1) }
            groupMeans.append(m.mean(dtype: .float64)!)
        }
        var top = WeightedMean()
        for g in groupMeans { top.add(g, weight: 1) }
        var all = WeightedMean()
        for m in members { all.add(m, weight: 1) }
        for name in ["w", "b"] {
            assertClose(top.mean(dtype: .float64)![name]!.doubles, all.mean(dtype: .float64)![name]!.doubles, 1e-12)
        }
        // Unequal groups (3 and 2 users) must NOT equal the plain mean: the test can fail.
        let uneven = GroupPlan(participants: 5, groups: 2)
        XCTAssertEqual(uneven.slots, [[0, 1, 2], [3, 4]])
    }

    func testIdenticalModelsAreUnchanged() {
        let m = model(42)
        var mean = WeightedMean()
        for w in [1.0, 2.0, 3.0] { mean.add(m, weight: w) }
        // Float32 → Float64 → Float32 of identical values is exact.
        XCTAssertEqual(mean.mean()!, m)
    }

    func testGradientDiversity() {
        // Oracle (reference §1.9 test 4): n identical vectors → 1; n orthogonal equal-norm → n.
        let g = model(7)
        XCTAssertEqual(GradientDiversity.compute([g, g, g])!, 1, accuracy: 1e-12)
        let n = 4
        let orthogonal = (0..<n).map { i in
            ParameterSet([("v", Tensor(shape: [n], scalars: (0..<n).map { $0 == i ? 2.5 : 0.0 }))])
        }
        XCTAssertEqual(GradientDiversity.compute(orthogonal)!, Double(n), accuracy: 1e-12)
        // Excluded names are left out.
        let withNorm = orthogonal.map { p -> ParameterSet in
            var q = p
            q.append("gn1.weight", Tensor([1.0, 1.0]))
            return q
        }
        XCTAssertEqual(GradientDiversity.compute(withNorm, excluding: ["gn"])!, Double(n), accuracy: 1e-12)
    }

    func testClientSamplerIsUniformWithoutReplacementAndSeeded() {
        let sampler = ClientSampler(clients: 10, perRound: 4, key: RandomKey(seed: 3))
        var counts = [Int](repeating: 0, count: 10)
        for r in 1...2000 {
            let s = sampler.sample(round: r)
            XCTAssertEqual(Set(s).count, 4)
            for c in s { counts[c] += 1 }
        }
        XCTAssertEqual(sampler.sample(round: 5), ClientSampler(clients: 10, perRound: 4, key: RandomKey(seed: 3)).sample(round: 5))
        // Each client is chosen with probability 0.4: 800 ± 6σ (σ = √(2000·0.4·0.6) ≈ 21.9).
        for c in counts { XCTAssertEqual(Double(c), 800, accuracy: 6 * 21.9) }
    }

    private func assertClose(_ a: [Double], _ b: [Double], _ tol: Double, file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tol * max(1, abs(y)), file: file, line: line) }
    }
}
