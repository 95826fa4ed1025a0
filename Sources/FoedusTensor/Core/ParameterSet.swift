/// An ordered collection of named tensors (`conv1.weight`, `fc2.bias`, …): model parameters,
/// their gradients, optimizer state, Hessian-vector directions.
///
/// Order is insertion order and is part of the value: two sets are aligned when their
/// ``names`` are equal. Arithmetic between sets is elementwise by position and requires equal
/// names.
public struct ParameterSet: Sendable, Equatable {
    /// Parameter names in order.
    public private(set) var names: [String]
    /// Tensors in the order of ``names``.
    public private(set) var tensors: [Tensor]
    private var positions: [String: Int]

    /// An empty set.
    public init() {
        names = []
        tensors = []
        positions = [:]
    }

    /// A set from ordered `(name, tensor)` pairs.
    /// - Precondition: names are unique.
    public init(_ pairs: [(String, Tensor)]) {
        self.init()
        for (name, tensor) in pairs { append(name, tensor) }
    }

    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }

    /// Total number of scalars over all tensors.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.scalarCount } }

    /// Adds a tensor at the end.
    /// - Precondition: `name` is not present.
    public mutating func append(_ name: String, _ tensor: Tensor) {
        precondition(positions[name] == nil, "[ParameterSet] duplicate name \(name)")
        positions[name] = names.count
        names.append(name)
        tensors.append(tensor)
    }

    /// The tensor named `name`; setting an existing name replaces it in place, a new name appends.
    public subscript(name: String) -> Tensor? {
        get { positions[name].map { tensors[$0] } }
        set {
            if let i = positions[name] {
                if let newValue { tensors[i] = newValue } else { remove(name) }
            } else if let newValue {
                append(name, newValue)
            }
        }
    }

    /// Removes `name` if present.
    public mutating func remove(_ name: String) {
        guard let i = positions[name] else { return }
        names.remove(at: i)
        tensors.remove(at: i)
        positions = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }

    /// Same names, new tensors (by position).
    /// - Precondition: `tensors.count == count`.
    public func replacingTensors(_ newTensors: [Tensor]) -> ParameterSet {
        precondition(newTensors.count == names.count, "[ParameterSet] \(newTensors.count) tensors for \(names.count) names")
        var out = self
        out.tensors = newTensors
        return out
    }

    /// Applies `transform` to every tensor.
    public func map(_ transform: (Tensor) throws -> Tensor) rethrows -> ParameterSet {
        replacingTensors(try tensors.map(transform))
    }

    /// Combines two aligned sets tensor by tensor.
    /// - Precondition: equal names.
    public func zipMap(_ other: ParameterSet, _ transform: (Tensor, Tensor) throws -> Tensor) rethrows -> ParameterSet {
        precondition(names == other.names, "[ParameterSet] names differ: \(names) vs \(other.names)")
        return replacingTensors(try zip(tensors, other.tensors).map(transform))
    }

    /// Σ over tensors of ⟨self, other⟩, differentiable.
    public func dot(_ other: ParameterSet) -> Tensor {
        precondition(names == other.names, "[ParameterSet.dot] names differ")
        var acc = Tensor(0, dtype: tensors.first?.dtype ?? .float32)
        for (a, b) in zip(tensors, other.tensors) { acc = acc + (a * b).sum() }
        return acc
    }

    /// `(name, tensor)` pairs in order.
    public var pairs: [(String, Tensor)] { Array(zip(names, tensors)) }

    public static func == (lhs: ParameterSet, rhs: ParameterSet) -> Bool {
        lhs.names == rhs.names && zip(lhs.tensors, rhs.tensors).allSatisfy { $0.bitwiseEqual($1) }
    }

    public static func + (lhs: ParameterSet, rhs: ParameterSet) -> ParameterSet { lhs.zipMap(rhs, +) }
    public static func - (lhs: ParameterSet, rhs: ParameterSet) -> ParameterSet { lhs.zipMap(rhs, -) }
    public static func * (lhs: ParameterSet, rhs: Double) -> ParameterSet { lhs.map { $0 * rhs } }
    public static func * (lhs: Double, rhs: ParameterSet) -> ParameterSet { rhs.map { lhs * $0 } }
}
