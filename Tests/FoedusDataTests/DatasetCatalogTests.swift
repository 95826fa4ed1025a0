import FoedusData
import Foundation
import XCTest

/// The catalog: search order, file naming, plain vs gzip, EMNIST transpose and label shift,
/// CIFAR-10 assembly and the errors of each. Oracle: the fixture formulas; directories are
/// built per test in a temporary folder, and the environment is passed explicitly.
final class DatasetCatalogTests: XCTestCase {
    /// Writes a tiny MNIST-named train split (7 images) into `directory`, optionally gzip'd.
    func writeTinyMNIST(to directory: String, gzip: Bool) throws {
        let suffix = gzip ? ".gz" : ""
        try Fixtures.copy("tiny-images-idx3-ubyte" + suffix, to: directory, as: "train-images-idx3-ubyte" + suffix)
        try Fixtures.copy("tiny-labels-idx1-ubyte" + suffix, to: directory, as: "train-labels-idx1-ubyte" + suffix)
    }

    func testLoadsFromDataDirectoryPlainAndGzip() throws {
        for gzip in [false, true] {
            let root = try Fixtures.temporaryDirectory(self)
            try writeTinyMNIST(to: root, gzip: gzip)
            let dataset = try DatasetCatalog.load("mnist", split: .train, dataDirectory: root, environment: [:])
            XCTAssertEqual(dataset.name, "mnist")
            XCTAssertEqual(dataset.count, 7)
            XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 5, 4])
            XCTAssertEqual(dataset.classes, 10)
            XCTAssertEqual(dataset.images, Fixtures.tinyPixels)
            XCTAssertEqual(dataset.labels, Fixtures.tinyLabels)
        }
    }

    func testDatasetSubfolderAndAlternativeNames() throws {
        let root = try Fixtures.temporaryDirectory(self)
        try Fixtures.copy("tiny-images-idx3-ubyte", to: root + "/fashion-mnist", as: "train-images.idx3-ubyte")
        try Fixtures.copy("tiny-labels-idx1-ubyte.gz", to: root + "/fashion-mnist", as: "train-labels.idx1-ubyte.gz")
        let dataset = try DatasetCatalog.load("Fashion_MNIST", split: .train, dataDirectory: root, environment: [:])
        XCTAssertEqual(dataset.name, "fashion-mnist")
        XCTAssertEqual(dataset.labels, Fixtures.tinyLabels)
    }

    func testDataDirectoryIsTheOnlyPlaceSearched() throws {
        let given = try Fixtures.temporaryDirectory(self)
        let fromEnvironment = try Fixtures.temporaryDirectory(self)
        try writeTinyMNIST(to: fromEnvironment, gzip: false)
        let error = thrownError {
            try DatasetCatalog.load("mnist", split: .train, dataDirectory: given, environment: ["FOEDUS_DATA_DIR": fromEnvironment])
        }
        guard case let .fileNotFound(dataset, file, searched)? = error else { return XCTFail("expected fileNotFound, got \(String(describing: error))") }
        XCTAssertEqual(dataset, "mnist")
        XCTAssertEqual(file, "train-images-idx3-ubyte(.gz)")
        XCTAssertEqual(searched.first, given + "/train-images-idx3-ubyte")
        XCTAssertTrue(searched.contains(given + "/mnist/train-images-idx3-ubyte.gz"))
        XCTAssertTrue(searched.allSatisfy { $0.hasPrefix(given + "/") }, "\(searched)")
        XCTAssertTrue(error!.description.contains("--data-dir"))
    }

    func testEnvironmentDirectoriesComeBeforeSystemInOrder() throws {
        let first = try Fixtures.temporaryDirectory(self)
        let second = try Fixtures.temporaryDirectory(self)
        // Only the second holds data, and with different labels: it must be found through the list.
        try Fixtures.copy("tiny-images-idx3-ubyte", to: second, as: "train-images-idx3-ubyte")
        try Fixtures.copy("tiny-labels-idx1-ubyte", to: second, as: "train-labels-idx1-ubyte")
        let environment = ["FOEDUS_DATA_DIR": first + ":" + second]
        let directories = try DatasetCatalog.searchDirectories(for: "mnist", environment: environment)
        XCTAssertEqual(directories, [first, first + "/mnist", second, second + "/mnist", "/usr/share/datasets/mnist"])
        let dataset = try DatasetCatalog.load("mnist", split: .train, dataDirectory: nil, environment: environment)
        XCTAssertEqual(dataset.labels, Fixtures.tinyLabels)
    }

    func testFirstDirectoryWins() throws {
        let first = try Fixtures.temporaryDirectory(self)
        let second = try Fixtures.temporaryDirectory(self)
        try writeTinyMNIST(to: first, gzip: true)
        // The second directory's labels file is out of range: loading it would throw.
        try Fixtures.copy("tiny-images-idx3-ubyte", to: second, as: "train-images-idx3-ubyte")
        try Fixtures.copy("label-range-labels-idx1-ubyte", to: second, as: "train-labels-idx1-ubyte")
        let dataset = try DatasetCatalog.load("mnist", split: .train, dataDirectory: nil,
                                              environment: ["FOEDUS_DATA_DIR": first + ":" + second])
        XCTAssertEqual(dataset.labels, Fixtures.tinyLabels)
    }

    func testSystemLocationsWithoutConfiguration() throws {
        XCTAssertEqual(try DatasetCatalog.searchDirectories(for: "fashion-mnist", environment: [:]),
                       ["/usr/share/datasets/fashion-mnist"])
        let error = thrownError { try DatasetCatalog.load("mnist", split: .test, dataDirectory: nil, environment: [:]) }
        XCTAssertEqual(error, .fileNotFound(dataset: "mnist", file: "t10k-images-idx3-ubyte(.gz)", searched: [
            "/usr/share/datasets/mnist/t10k-images-idx3-ubyte", "/usr/share/datasets/mnist/t10k-images-idx3-ubyte.gz",
            "/usr/share/datasets/mnist/t10k-images.idx3-ubyte", "/usr/share/datasets/mnist/t10k-images.idx3-ubyte.gz",
        ]))
    }

    func testMissingFashionMNISTSuggestsTheDebianPackage() {
        let root = NSTemporaryDirectory() + "/foedus-empty-\(UUID().uuidString)"
        let error = thrownError { try DatasetCatalog.load("fashion-mnist", split: .train, dataDirectory: root) }
        XCTAssertTrue(error?.description.contains("apt-get install dataset-fashion-mnist") ?? false)
    }

    func testUnknownDatasetListsKnownNames() {
        let error = thrownError { try DatasetCatalog.load("imagenet", split: .train, dataDirectory: "/nonexistent") }
        XCTAssertEqual(error, .unknownDataset(name: "imagenet", known: DatasetCatalog.knownNames))
        XCTAssertEqual(DatasetCatalog.knownNames, ["fashion-mnist", "mnist", "emnist-balanced", "emnist-byclass", "emnist-bymerge",
                                                   "emnist-digits", "emnist-letters", "emnist-mnist", "cifar10"])
        XCTAssertTrue(error!.description.contains("cifar10"))
    }

    func testClassCounts() throws {
        let expected = ["fashion-mnist": 10, "mnist": 10, "emnist-balanced": 47, "emnist-byclass": 62, "emnist-bymerge": 47,
                        "emnist-letters": 26, "emnist-digits": 10, "emnist-mnist": 10, "cifar10": 10]
        for (name, classes) in expected {
            XCTAssertEqual(try DatasetCatalog.classCount(of: name), classes, name)
        }
    }

    func testCountMismatch() throws {
        let root = try Fixtures.temporaryDirectory(self)
        try Fixtures.copy("tiny-images-idx3-ubyte", to: root, as: "train-images-idx3-ubyte")
        try Fixtures.copy("count-mismatch-labels-idx1-ubyte", to: root, as: "train-labels-idx1-ubyte")
        assertThrows(.countMismatch(imagesPath: root + "/train-images-idx3-ubyte", images: 7,
                                    labelsPath: root + "/train-labels-idx1-ubyte", labels: 6)) {
            try DatasetCatalog.load("mnist", split: .train, dataDirectory: root, environment: [:])
        }
    }

    func testLabelOutOfRange() throws {
        // Label 10 is the 5th label: offset 8 (header) + 4.
        let root = try Fixtures.temporaryDirectory(self)
        try Fixtures.copy("tiny-images-idx3-ubyte", to: root, as: "train-images-idx3-ubyte")
        try Fixtures.copy("label-range-labels-idx1-ubyte", to: root, as: "train-labels-idx1-ubyte")
        assertThrows(.labelOutOfRange(path: root + "/train-labels-idx1-ubyte", offset: 12, label: 10, valid: 0...9)) {
            try DatasetCatalog.load("mnist", split: .train, dataDirectory: root, environment: [:])
        }
    }

    func testWrongRanks() throws {
        let root = try Fixtures.temporaryDirectory(self)
        // Labels where images belong, and the other way round.
        try Fixtures.copy("tiny-labels-idx1-ubyte", to: root, as: "train-images-idx3-ubyte")
        try Fixtures.copy("tiny-images-idx3-ubyte", to: root, as: "train-labels-idx1-ubyte")
        assertThrows(.unexpectedRank(path: root + "/train-images-idx3-ubyte", expected: 3, dimensions: [7])) {
            try DatasetCatalog.load("mnist", split: .train, dataDirectory: root, environment: [:])
        }
    }

    func testEMNISTLettersIsTransposedAndShifted() throws {
        // Stored 3 rows × 2 columns per image; upright it is 2 × 3 with upright(y, x) = stored(x, y).
        let dataset = try DatasetCatalog.load("emnist-letters", split: .train, dataDirectory: Fixtures.directory, environment: [:])
        XCTAssertEqual(dataset.name, "emnist-letters")
        XCTAssertEqual(dataset.classes, 26)
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [4, 1, 2, 3])
        XCTAssertEqual(dataset.labels, [0, 25, 12, 1])  // stored 1, 26, 13, 2
        for n in 0..<4 {
            let image = Array(dataset.image(at: n))
            for y in 0..<2 {
                for x in 0..<3 {
                    XCTAssertEqual(image[y * 3 + x], Fixtures.emnistStoredPixel(n, x, y), "image \(n) (\(y), \(x))")
                }
            }
        }
    }

    func testEMNISTLettersRejectsLabelZero() {
        // Second stored label is 0; letters labels must be 1...26. Offset 8 + 1.
        let path = Fixtures.path("emnist-letters-test-labels-idx1-ubyte.gz")
        assertThrows(.labelOutOfRange(path: path, offset: 9, label: 0, valid: 1...26)) {
            try DatasetCatalog.load("emnist-letters", split: .test, dataDirectory: Fixtures.directory, environment: [:])
        }
    }

    func testCIFAR10ConcatenatesTheFiveTrainingBatches() throws {
        let root = try Fixtures.temporaryDirectory(self)
        let folder = root + "/cifar-10-batches-bin"
        for b in 1...5 { try Fixtures.copy("cifar-tiny.bin", to: folder, as: "data_batch_\(b).bin") }
        let dataset = try DatasetCatalog.load("cifar-10", split: .train, dataDirectory: root, environment: [:])
        XCTAssertEqual(dataset.name, "cifar10")
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width, dataset.classes], [15, 3, 32, 32, 10])
        XCTAssertEqual(dataset.labels, Array(repeating: Fixtures.cifarLabels, count: 5).flatMap { $0 })
        XCTAssertEqual(Array(dataset.image(at: 4)), (0..<3072).map { Fixtures.cifarPixel(1, $0) })
    }

    func testCIFAR10MissingBatchIsNamed() throws {
        let root = try Fixtures.temporaryDirectory(self)
        for b in [1, 2, 4, 5] { try Fixtures.copy("cifar-tiny.bin", to: root, as: "data_batch_\(b).bin") }
        guard case let .fileNotFound(_, file, _)? = thrownError({
            try DatasetCatalog.load("cifar10", split: .train, dataDirectory: root, environment: [:])
        }) else { return XCTFail("expected fileNotFound") }
        XCTAssertEqual(file, "data_batch_3.bin(.gz)")
    }

    func testCIFAR10TestSplitErrorsNameTheFile() throws {
        let root = try Fixtures.temporaryDirectory(self)
        try Fixtures.copy("cifar-bad-label.bin", to: root, as: "test_batch.bin")
        assertThrows(.labelOutOfRange(path: root + "/test_batch.bin", offset: 3073, label: 10, valid: 0...9)) {
            try DatasetCatalog.load("cifar10", split: .test, dataDirectory: root, environment: [:])
        }
    }
}
