/// Which part of a dataset to load.
public enum DatasetSplit: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The training examples.
    case train
    /// The held-out test examples.
    case test

    public var description: String { rawValue }
}
