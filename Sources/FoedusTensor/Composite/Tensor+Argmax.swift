extension Tensor {
    /// Index of the maximum along `axis` of a rank-2 tensor, per row (first on ties).
    public func argmax(axis: Int) -> [Int] {
        precondition(rank == 2 && (axis == 1 || axis == -1), "[argmax] supports rank-2 rows, got \(shape) axis \(axis)")
        let values = doubles
        let cols = shape[1]
        return (0..<shape[0]).map { r in
            var best = 0
            for c in 1..<cols where values[r * cols + c] > values[r * cols + best] { best = c }
            return best
        }
    }
}
