import FoedusData
import FoedusKernels
import FoedusTensor
import XCTest

/// Batch construction. Oracle: the normalisation formula applied to the fixture bytes, exact
/// Float equality (the loader's table holds the same Float expression).
final class DataLoaderTests: XCTestCase {
    func tinyDataset() throws -> Dataset {
        try DatasetCatalog.load("emnist-letters", split: .train, dataDirectory: Fixtures.directory, environment: [:])
    }

    func testBatchShapesDtypesAndValues() throws {
        let dataset = try tinyDataset()
        let loader = DataLoader(dataset: dataset, batchSize: 3, key: RandomKey(seed: 1), normalization: .mnist)
        let batch = loader.makeBatch([2, 0])
        XCTAssertEqual(batch.images.shape, [2, 1, 2, 3])
        XCTAssertEqual(batch.images.dtype, .float32)
        XCTAssertEqual(batch.labels.shape, [2])
        XCTAssertEqual(batch.labels.dtype, .int32)
        XCTAssertEqual(batch.indices, [2, 0])
        XCTAssertEqual(batch.count, 2)
        XCTAssertEqual(batch.labels.scalars(as: Int32.self), [12, 0])
        let expected = (Array(dataset.image(at: 2)) + Array(dataset.image(at: 0))).map { (Float($0) / 255 - 0.1307) / 0.3081 }
        XCTAssertEqual(batch.images.scalars(as: Float.self), expected)
    }

    func testPerChannelNormalisationOnCIFAR() throws {
        let bytes = try Fixtures.bytes("cifar-tiny.bin")
        let file = try CIFARBinary(fileContent: bytes, path: "cifar-tiny.bin")
        let dataset = Dataset(name: "cifar10", images: file.images, labels: file.labels, channels: 3, height: 32, width: 32, classes: 10)
        let loader = DataLoader(dataset: dataset, batchSize: 2, shuffle: false, key: RandomKey(seed: 0), normalization: .cifar10)
        let batch = loader.makeBatch([1])
        let means: [Float] = [0.4914, 0.4822, 0.4465], stds: [Float] = [0.2470, 0.2435, 0.2616]
        let expected = (0..<3072).map { i in (Float(Fixtures.cifarPixel(1, i)) / 255 - means[i / 1024]) / stds[i / 1024] }
        XCTAssertEqual(batch.images.scalars(as: Float.self), expected)
        XCTAssertEqual(batch.labels.scalars(as: Int32.self), [0])
    }

    func testEpochIteratesTheSamplersBatches() throws {
        let dataset = try tinyDataset()
        let loader = DataLoader(dataset: dataset, batchSize: 3, key: RandomKey(seed: 7), normalization: .mnist)
        let batches = Array(loader.epoch(4))
        XCTAssertEqual(batches.map(\.indices), loader.batches(epoch: 4))
        XCTAssertEqual(batches.map(\.indices), BatchSampler(count: 4, batchSize: 3, key: RandomKey(seed: 7)).batches(epoch: 4))
        XCTAssertEqual(batches.map { $0.images.shape }, [[3, 1, 2, 3], [1, 1, 2, 3]])
        XCTAssertEqual(batches.flatMap { $0.labels.scalars(as: Int32.self) }, batches.flatMap(\.indices).map { dataset.labels[$0] })
    }
}
