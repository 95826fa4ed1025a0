import Foundation

/// The datasets Foedus can load by name, and where it looks for their files.
///
/// Known names: `fashion-mnist`, `mnist`, `emnist-balanced`, `emnist-byclass`,
/// `emnist-bymerge`, `emnist-digits`, `emnist-letters`, `emnist-mnist`, `cifar10`
/// (case-insensitive; `_` may stand for `-`). Files may be plain or gzip-compressed (`.gz`).
///
/// Search order, first match wins, each file independently:
/// 1. `dataDirectory` when given — and then nothing else;
/// 2. otherwise each directory in `FOEDUS_DATA_DIR` (`:`-separated), then
/// 3. the Debian locations under `/usr/share/datasets` (e.g. `/usr/share/datasets/fashion-mnist`).
///
/// Within a root, the root itself and the dataset's usual folders are tried (e.g.
/// `ROOT/fashion-mnist`, `ROOT/emnist/gzip`, `ROOT/cifar-10-batches-bin`); in each folder the
/// uncompressed name before the `.gz` one.
public enum DatasetCatalog {
    /// The environment variable naming extra data directories.
    public static let environmentVariable = "FOEDUS_DATA_DIR"
    /// Where Debian's `dataset-*` packages install their files.
    public static let systemDirectory = "/usr/share/datasets"

    /// Every name that ``load(_:split:dataDirectory:)`` accepts, canonical spelling.
    public static var knownNames: [String] { entries.map(\.name) }

    /// The number of classes of dataset `name` (e.g. 47 for `emnist-balanced`).
    /// - Throws: ``FoedusDataError/unknownDataset(name:known:)``.
    public static func classCount(of name: String) throws(FoedusDataError) -> Int {
        try entry(name).classes
    }

    /// Loads one split of a named dataset, searching `dataDirectory` only when it is given,
    /// else `FOEDUS_DATA_DIR` then the Debian locations.
    ///
    /// EMNIST images are transposed on load so that they are upright like MNIST's; EMNIST
    /// letters labels `1...26` become `0...25`.
    ///
    /// - Throws: ``FoedusDataError``: `.unknownDataset`, `.fileNotFound` (listing every path
    ///   tried and how to install), or any reader error naming the bad file, including
    ///   `.countMismatch` and `.labelOutOfRange`.
    /// - Complexity: O(dataset size).
    public static func load(_ name: String, split: DatasetSplit, dataDirectory: String? = nil) throws(FoedusDataError) -> Dataset {
        try load(name, split: split, dataDirectory: dataDirectory, environment: ProcessInfo.processInfo.environment)
    }

    /// ``load(_:split:dataDirectory:)`` with an explicit environment instead of the process's.
    public static func load(_ name: String, split: DatasetSplit, dataDirectory: String?,
                            environment: [String: String]) throws(FoedusDataError) -> Dataset {
        let entry = try entry(name)
        let directories = searchDirectories(entry, dataDirectory: dataDirectory, environment: environment)
        var paths: [String] = []
        for alternatives in entry.files(split) {
            paths.append(try locate(alternatives, of: entry.name, in: directories))
        }
        switch entry.format {
        case let .idx(transposed, labelBase):
            return try readIDXPair(entry, imagesPath: paths[0], labelsPath: paths[1],
                                   transposed: transposed, labelBase: labelBase)
        case .cifar10:
            return try readCIFAR(entry, paths: paths)
        }
    }

    /// The directories searched for dataset `name`, in order (see the type's documentation).
    /// - Throws: ``FoedusDataError/unknownDataset(name:known:)``.
    public static func searchDirectories(for name: String, dataDirectory: String? = nil,
                                         environment: [String: String] = ProcessInfo.processInfo.environment) throws(FoedusDataError) -> [String] {
        searchDirectories(try entry(name), dataDirectory: dataDirectory, environment: environment)
    }
}
