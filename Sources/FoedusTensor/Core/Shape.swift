/// Shape arithmetic shared by the tensor operations.
public enum Shape {
    /// Number of elements of `shape`.
    @inlinable public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape`.
    @inlinable public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = acc
            acc *= shape[d]
        }
        return strides
    }

    /// `"2x3x4"`, or `"scalar"` for rank 0.
    public static func describe(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
    }

    static func check(_ shape: [Int], op: String) {
        precondition(shape.allSatisfy { $0 >= 0 }, "[\(op)] negative extent in shape \(describe(shape))")
    }

    /// The NumPy broadcast of two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides for reading a tensor of `shape` as if it had `target` shape (stride 0 on
    /// broadcast dimensions). `shape` must broadcast to `target`.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        return (0..<target.count).map { d in
            d < offset ? 0 : (shape[d - offset] == 1 && target[d] != 1 ? 0 : own[d - offset])
        }
    }

    /// Normalises a possibly negative axis.
    static func axis(_ axis: Int, rank: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "[\(op)] axis \(axis) out of range for rank \(rank)")
        return a
    }
}
