/// An n-dimensional array of `Float`, `Double` or `Int32` elements: a value type over
/// copy-on-write, 64-byte-aligned, row-major contiguous storage.
///
/// Every operation on tensors is recorded for reverse-mode differentiation when one of its
/// inputs is being differentiated (see ``gradient(of:at:)-(_,Tensor)``), and the recorded
/// derivatives are themselves differentiable, so gradients of gradients are exact.
public struct Tensor: @unchecked Sendable {
    /// Extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// Element type.
    public let dtype: DType
    @usableFromInline var storage: TensorStorage
    /// The operation that produced this value, when it is being differentiated.
    var node: ADNode?

    @usableFromInline init(shape: [Int], dtype: DType, storage: TensorStorage) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.node = nil
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var scalarCount: Int { shape.reduce(1, *) }
    /// Row-major element strides.
    public var strides: [Int] { Shape.strides(shape) }

    /// True when this value is part of a graph being differentiated.
    public var isTracked: Bool { node != nil }

    /// The same value, cut from the differentiation graph (a stop-gradient).
    public var detached: Tensor {
        var t = self
        t.node = nil
        return t
    }

    // MARK: Creation

    /// A tensor with the given elements in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`, and no extent is negative.
    public init<T: TensorElement>(shape: [Int], scalars: [T]) {
        Shape.check(shape, op: "Tensor.init")
        precondition(scalars.count == Shape.count(shape),
                     "[Tensor.init] \(scalars.count) scalars for shape \(Shape.describe(shape))")
        self.init(shape: shape, dtype: T.dtype, storage: TensorStorage(byteCount: scalars.count * T.dtype.byteSize, zeroed: false))
        scalars.withUnsafeBytes { storage.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A rank-1 tensor.
    public init<T: TensorElement>(_ scalars: [T]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A rank-0 tensor holding `value` converted to `dtype`.
    public init(_ value: Double, dtype: DType = .float32) {
        self = Tensor.full(value, shape: [], dtype: dtype)
    }

    /// A tensor filled with `value` (converted to `dtype`).
    public static func full(_ value: Double, shape: [Int], dtype: DType = .float32) -> Tensor {
        Shape.check(shape, op: "full")
        let t = Tensor.uninitialized(shape: shape, dtype: dtype)
        let n = t.scalarCount
        switch dtype {
        case .float32: t.storage.raw.initializeMemory(as: Float.self, repeating: Float(value), count: n)
        case .float64: t.storage.raw.initializeMemory(as: Double.self, repeating: value, count: n)
        case .int32: t.storage.raw.initializeMemory(as: Int32.self, repeating: Int32(value), count: n)
        }
        return t
    }

    /// All zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        Shape.check(shape, op: "zeros")
        return Tensor(shape: shape, dtype: dtype, storage: TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize, zeroed: true))
    }

    /// All ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(1, shape: shape, dtype: dtype) }

    /// Ones with this tensor's shape and dtype.
    public var onesLike: Tensor { .ones(shape, dtype: dtype) }

    /// Zeros with this tensor's shape and dtype.
    public var zerosLike: Tensor { .zeros(shape, dtype: dtype) }

    /// `0, 1, …, n−1`.
    public static func arange(_ n: Int, dtype: DType = .float32) -> Tensor {
        switch dtype {
        case .float32: return Tensor(shape: [n], scalars: (0..<n).map { Float($0) })
        case .float64: return Tensor(shape: [n], scalars: (0..<n).map { Double($0) })
        case .int32: return Tensor(shape: [n], scalars: (0..<n).map { Int32($0) })
        }
    }

    @usableFromInline static func uninitialized(shape: [Int], dtype: DType) -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize, zeroed: false))
    }

    // MARK: Reading

    /// The elements in row-major order.
    /// - Precondition: `T` matches ``dtype``.
    public func scalars<T: TensorElement>(as type: T.Type = T.self) -> [T] {
        withUnsafeBufferPointer(as: T.self) { Array($0) }
    }

    /// The elements converted to `Double`, whatever the dtype.
    public var doubles: [Double] {
        switch dtype {
        case .float32: return scalars(as: Float.self).map(Double.init)
        case .float64: return scalars(as: Double.self)
        case .int32: return scalars(as: Int32.self).map(Double.init)
        }
    }

    /// The single element of a one-element tensor, as `Double`.
    /// - Precondition: ``scalarCount`` is 1.
    public var item: Double {
        precondition(scalarCount == 1, "[item] tensor of shape \(Shape.describe(shape)) has \(scalarCount) elements")
        return doubles[0]
    }

    /// Read access to the elements.
    /// - Precondition: `T` matches ``dtype``.

    public func withUnsafeBufferPointer<T: TensorElement, R>(as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        precondition(T.dtype == dtype, "[withUnsafeBufferPointer] tensor is \(dtype), asked for \(T.dtype)")
        let p = storage.raw.assumingMemoryBound(to: T.self)
        return try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: p, count: scalarCount)) }
    }

    /// Write access to the elements; copies the storage first when it is shared (copy-on-write).
    /// Mutating a tracked tensor detaches it from the differentiation graph.
    /// - Precondition: `T` matches ``dtype``.

    public mutating func withUnsafeMutableBufferPointer<T: TensorElement, R>(as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        precondition(T.dtype == dtype, "[withUnsafeMutableBufferPointer] tensor is \(dtype), asked for \(T.dtype)")
        if !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(copying: storage) }
        node = nil
        let p = storage.raw.assumingMemoryBound(to: T.self)
        return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: p, count: scalarCount)) }
    }

    /// Converts to another dtype (not differentiable for int32; float32↔float64 is).
    public func cast(to target: DType) -> Tensor {
        if target == dtype { return self }
        var out = Tensor.uninitialized(shape: shape, dtype: target)
        let values = doubles
        switch target {
        case .float32: out.withUnsafeMutableBufferPointer(as: Float.self) { b in for i in 0..<b.count { b[i] = Float(values[i]) } }
        case .float64: out.withUnsafeMutableBufferPointer(as: Double.self) { b in for i in 0..<b.count { b[i] = values[i] } }
        case .int32: out.withUnsafeMutableBufferPointer(as: Int32.self) { b in for i in 0..<b.count { b[i] = Int32(values[i]) } }
        }
        guard dtype.isFloatingPoint && target.isFloatingPoint else { return out }
        let source = dtype
        return Autodiff.record(out, "cast", [self]) { ctx in [ctx.cotangent.cast(to: source)] }
    }
}
