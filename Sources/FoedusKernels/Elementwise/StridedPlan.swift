/// An iteration plan over a row-major index space shared by up to four operands, each with
/// its own element strides (0 for a broadcast dimension).
///
/// Adjacent dimensions that are contiguous for every operand are merged, so a bias added to
/// an NCHW tensor becomes a loop over `N·C` rows of `H·W` elements. Iteration order is fixed
/// (row-major over the original shape), which keeps reductions deterministic.
public struct StridedPlan: Sendable {
    /// Extents of the outer (non-innermost) dimensions after merging.
    public let outerShape: [Int]
    /// `outerStrides[k][d]` is operand k's stride in outer dimension d.
    public let outerStrides: [[Int]]
    /// Length of the innermost run.
    public let innerCount: Int
    /// Operand strides along the innermost run.
    public let innerStrides: [Int]
    /// Number of elements in the whole index space.
    public let elementCount: Int

    /// - Precondition: every stride array has `shape.count` entries.
    public init(shape: [Int], strides: [[Int]]) {
        precondition(strides.allSatisfy { $0.count == shape.count }, "[StridedPlan] stride ranks differ from shape rank \(shape.count)")
        let count = shape.reduce(1, *)
        elementCount = count
        // Drop unit dimensions: they never move any operand.
        var dims: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            dims.append(shape[d])
            for k in 0..<strides.count { st[k].append(strides[k][d]) }
        }
        if dims.isEmpty {
            outerShape = []
            outerStrides = Array(repeating: [], count: strides.count)
            innerCount = count == 0 ? 0 : 1
            innerStrides = Array(repeating: 0, count: strides.count)
            return
        }
        // Merge dimension d into d+1 when every operand walks them as one run.
        var mDims = [dims[dims.count - 1]]
        var mSt = st.map { [$0[$0.count - 1]] }
        var d = dims.count - 2
        while d >= 0 {
            let inner = mDims[0]
            let mergeable = (0..<strides.count).allSatisfy { st[$0][d] == mSt[$0][0] * inner }
            if mergeable {
                mDims[0] *= dims[d]
            } else {
                mDims.insert(dims[d], at: 0)
                for k in 0..<strides.count { mSt[k].insert(st[k][d], at: 0) }
            }
            d -= 1
        }
        innerCount = mDims.removeLast()
        innerStrides = mSt.map { $0.last! }
        outerShape = mDims
        outerStrides = mSt.map { Array($0.dropLast()) }
    }

    /// Calls `body(offsets, n, innerStrides)` once per innermost run, where `offsets[k]` is
    /// operand k's element offset at the start of the run.
    @inlinable @inline(__always)
    public func forEachRun(_ body: (UnsafePointer<Int>, Int, UnsafePointer<Int>) -> Void) {
        if elementCount == 0 { return }
        let k = innerStrides.count
        let rank = outerShape.count
        var offsets = [Int](repeating: 0, count: k)
        var index = [Int](repeating: 0, count: rank)
        innerStrides.withUnsafeBufferPointer { inner in
            offsets.withUnsafeMutableBufferPointer { off in
                while true {
                    body(UnsafePointer(off.baseAddress!), innerCount, inner.baseAddress!)
                    // Odometer over the outer dimensions.
                    var d = rank - 1
                    while d >= 0 {
                        index[d] += 1
                        for j in 0..<k { off[j] += outerStrides[j][d] }
                        if index[d] < outerShape[d] { break }
                        for j in 0..<k { off[j] -= outerStrides[j][d] * outerShape[d] }
                        index[d] = 0
                        d -= 1
                    }
                    if d < 0 { return }
                }
            }
        }
    }

    /// Row-major contiguous strides of `shape`.
    @inlinable @inline(__always)
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = acc
            acc *= shape[d]
        }
        return strides
    }
}
