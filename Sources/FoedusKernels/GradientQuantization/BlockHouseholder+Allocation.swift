#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BlockHouseholder {
    /// Builds the transform for per-row ranges `λ_i` (the BHQ caller passes `range + 1e-8`),
    /// following the reference construction:
    ///
    /// 1. sort rows by decreasing `λ` (ties by row index);
    /// 2. `k` = the first `k ≥ 1` with `k·λ₍N−k₎ / Σ_{j≤N−k} λ₍j₎ > 1` (strict, 1-based sorted
    ///    positions), capped at `N − 1` (only reached for `N = 2`); `G_big = N − k` leaders;
    /// 3. leader `i` gets `c_i − c_{i−1}` small rows, `c_i = round(k·Σ_{j≤i} λ₍j₎ / Σ_{j≤G_big} λ₍j₎)`,
    ///    forced to end at `k` with at least one small row per leader (Float64 sums, then a
    ///    repair that only acts if rounding broke those two invariants);
    /// 4. block of size `n`: `w₁ = λ_leader/√n`, `w₂ = λ_first small · q_n`, `q_n = max|H_n|`,
    ///    `s₁ = w₁^(−1/3)`, `s₂ = (w₂/(n−1))^(−1/3)`, both times `√(1/s₁² + 1/s₂²)`.
    ///
    /// - Precondition: every `λ_i` is finite and positive.
    /// - Complexity: O(N log N).
    public init(rowRanges: [Double]) {
        let n = rowRanges.count
        for (i, lambda) in rowRanges.enumerated() {
            precondition(lambda.isFinite && lambda > 0,
                         "BlockHouseholder.init(rowRanges:): range \(lambda) of row \(i) is not finite and positive")
        }
        rows = n
        guard n >= 2 else {
            leaderCount = n
            smallCount = 0
            allocation = [Int](repeating: 0, count: n)
            members = Array(0..<n)
            blockStarts = Array(0...n)
            scales = [Double](repeating: 1, count: n)
            scalesFloat = [Float](repeating: 1, count: n)
            inverseScalesFloat = scalesFloat
            return
        }
        let sorted = (0..<n).sorted { rowRanges[$0] > rowRanges[$1] || (rowRanges[$0] == rowRanges[$1] && $0 < $1) }
        let lambda = sorted.map { rowRanges[$0] }
        // Float64 prefix sums (trap 7: Float32 sums can make the last allocation miss k).
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + lambda[i] }

        var k = n - 1
        for candidate in 1..<n where Double(candidate) * lambda[n - candidate - 1] / prefix[n - candidate] > 1 {
            k = candidate
            break
        }
        let leaders = n - k
        var cumulative = [Int](repeating: 0, count: leaders + 1)
        for i in 1...leaders {
            let target = (Double(k) * prefix[i] / prefix[leaders]).rounded(.toNearestOrAwayFromZero)
            cumulative[i] = Swift.min(Swift.max(Int(target), cumulative[i - 1] + 1), k - (leaders - i))
        }
        cumulative[leaders] = k

        var members: [Int] = []
        members.reserveCapacity(n)
        var starts: [Int] = [0]
        var scales = [Double](repeating: 1, count: n)
        for leader in 0..<leaders {
            let small = (leaders + cumulative[leader]) ..< (leaders + cumulative[leader + 1])
            let size = small.count + 1
            let (leaderScale, smallScale) = Self.blockScales(size: size, leaderRange: lambda[leader],
                                                             firstSmallRange: lambda[small.lowerBound])
            members.append(sorted[leader])
            scales[sorted[leader]] = leaderScale
            for position in small {
                members.append(sorted[position])
                scales[sorted[position]] = smallScale
            }
            starts.append(members.count)
        }
        leaderCount = leaders
        smallCount = k
        allocation = (0..<leaders).map { cumulative[$0 + 1] - cumulative[$0] }
        self.members = members
        blockStarts = starts
        self.scales = scales
        scalesFloat = scales.map { Float($0) }
        inverseScalesFloat = scales.map { Float(1 / $0) }
    }

    /// `max |H_n|` over the entries `1/√n`, `1 − 1/(n − √n)` and `−1/(n − √n)`.
    static func maxReflectionEntry(_ size: Int) -> Double {
        let n = Double(size), root = n.squareRoot()
        let off = 1 / (n - root)
        return Swift.max(1 / root, abs(1 - off), off)
    }

    /// The leader and small-row scales of one block (reference step 5).
    static func blockScales(size: Int, leaderRange: Double, firstSmallRange: Double) -> (leader: Double, small: Double) {
        let n = Double(size)
        let w1 = leaderRange / n.squareRoot()
        let w2 = firstSmallRange * maxReflectionEntry(size)
        let s1 = 1 / cbrt(w1)
        let s2 = 1 / cbrt(w2 / (n - 1))
        // A global rescale per block with no effect on per-row quantization; kept to match the reference.
        let norm = (1 / (s1 * s1) + 1 / (s2 * s2)).squareRoot()
        return (s1 * norm, s2 * norm)
    }
}
