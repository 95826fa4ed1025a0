/// Gather and scatter-add along one axis (the semantics of `torch.gather` / `scatter_add_`).
public enum IndexKernels {
    /// `out[..., j, ...] = x[..., index[..., j, ...], ...]` along `axis`.
    ///
    /// `indexShape` equals `xShape` except along `axis`; `out` has `indexShape`.
    /// - Returns: the flat position of the first index outside `0..<xShape[axis]`, or nil.
    @inlinable
    public static func gather<T>(_ x: UnsafePointer<T>, xShape: [Int], axis: Int,
                                 index: UnsafePointer<Int32>, indexShape: [Int],
                                 _ out: UnsafeMutablePointer<T>) -> Int? {
        let (outer, inner) = split(indexShape, axis)
        let n = indexShape[axis], m = xShape[axis]
        for o in 0..<outer {
            for j in 0..<n {
                for i in 0..<inner {
                    let pos = (o * n + j) * inner + i
                    let k = Int(index[pos])
                    if k < 0 || k >= m { return pos }
                    out[pos] = x[(o * m + k) * inner + i]
                }
            }
        }
        return nil
    }

    /// `out[..., index[..., j, ...], ...] += src[..., j, ...]` along `axis`; `out` has `outShape`
    /// and must be initialised by the caller. Accumulates in index order (deterministic).
    /// - Returns: the flat position of the first index outside `0..<outShape[axis]`, or nil.
    @inlinable
    public static func scatterAdd<T: AdditiveArithmetic>(_ src: UnsafePointer<T>, index: UnsafePointer<Int32>, indexShape: [Int],
                                                          axis: Int, _ out: UnsafeMutablePointer<T>, outShape: [Int]) -> Int? {
        let (outer, inner) = split(indexShape, axis)
        let n = indexShape[axis], m = outShape[axis]
        for o in 0..<outer {
            for j in 0..<n {
                for i in 0..<inner {
                    let pos = (o * n + j) * inner + i
                    let k = Int(index[pos])
                    if k < 0 || k >= m { return pos }
                    out[(o * m + k) * inner + i] += src[pos]
                }
            }
        }
        return nil
    }

    @inlinable
    static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }
}
