/// What the catalog knows about one dataset: its files, layout and class count.
struct CatalogEntry: Sendable {
    enum Format: Sendable {
        /// An images IDX file and a labels IDX file per split. `transposed`: images are stored
        /// column-major (EMNIST). `labelBase`: the smallest stored label (EMNIST letters: 1).
        case idx(transposed: Bool, labelBase: Int)
        /// CIFAR-10 binary batches.
        case cifar10
    }

    let name: String
    let classes: Int
    let format: Format
    /// Folders below each search root that may hold the files ("" is the root itself).
    let subdirectories: [String]
    /// Folders below the system root (`/usr/share/datasets`) that Debian packages use.
    let systemSubdirectories: [String]

    /// The logical files of `split`, each as its accepted base names (without `.gz`).
    /// IDX datasets: `[images, labels]`; CIFAR-10: one per batch file.
    func files(_ split: DatasetSplit) -> [[String]] {
        switch format {
        case .cifar10:
            switch split {
            case .train: return (1...5).map { ["data_batch_\($0).bin"] }
            case .test: return [["test_batch.bin"]]
            }
        case .idx:
            let prefix = split == .train ? "train" : "t10k"
            if name.hasPrefix("emnist-") {
                let stem = "\(name)-\(split.rawValue)"
                return [["\(stem)-images-idx3-ubyte"], ["\(stem)-labels-idx1-ubyte"]]
            }
            // Some copies of MNIST name the files `train-images.idx3-ubyte`.
            return [["\(prefix)-images-idx3-ubyte", "\(prefix)-images.idx3-ubyte"],
                    ["\(prefix)-labels-idx1-ubyte", "\(prefix)-labels.idx1-ubyte"]]
        }
    }
}

extension DatasetCatalog {
    /// EMNIST splits and their class counts.
    static let emnistSplits: [(split: String, classes: Int)] = [
        ("balanced", 47), ("byclass", 62), ("bymerge", 47), ("digits", 10), ("letters", 26), ("mnist", 10),
    ]

    static let entries: [CatalogEntry] = {
        var all = [
            CatalogEntry(name: "fashion-mnist", classes: 10, format: .idx(transposed: false, labelBase: 0),
                         subdirectories: ["", "fashion-mnist"], systemSubdirectories: ["fashion-mnist"]),
            CatalogEntry(name: "mnist", classes: 10, format: .idx(transposed: false, labelBase: 0),
                         subdirectories: ["", "mnist"], systemSubdirectories: ["mnist"]),
        ]
        for (split, classes) in emnistSplits {
            // EMNIST letters stores labels 1...26 (0 is the unused "N/A" class).
            all.append(CatalogEntry(name: "emnist-\(split)", classes: classes,
                                    format: .idx(transposed: true, labelBase: split == "letters" ? 1 : 0),
                                    subdirectories: ["", "emnist", "emnist/gzip", "gzip"],
                                    systemSubdirectories: ["emnist", "emnist/gzip"]))
        }
        all.append(CatalogEntry(name: "cifar10", classes: 10, format: .cifar10,
                                subdirectories: ["", "cifar10", "cifar-10-batches-bin", "cifar10/cifar-10-batches-bin"],
                                systemSubdirectories: ["cifar10", "cifar10/cifar-10-batches-bin"]))
        return all
    }()

    static let aliases: [String: String] = [
        "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist", "cifar-10": "cifar10",
    ]

    /// The entry for `name` (case-insensitive; `_` and `-` are interchangeable).
    static func entry(_ name: String) throws(FoedusDataError) -> CatalogEntry {
        var key = String(name.lowercased().map { $0 == "_" ? "-" : $0 })
        key = aliases[key] ?? key
        guard let found = entries.first(where: { $0.name == key }) else {
            throw .unknownDataset(name: name, known: knownNames)
        }
        return found
    }
}
