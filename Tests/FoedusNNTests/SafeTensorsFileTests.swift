import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Files: atomic writes, system errors with the path, decode errors naming the file, and
/// loading into a model's parameter layout.
final class SafeTensorsFileTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("safetensors")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private let model = ParameterSet([
        ("fc.weight", Tensor(shape: [2, 3], scalars: [Float(1), 2, 3, 4, 5, 6])),
        ("fc.bias", Tensor(shape: [2], scalars: [Float(-1), 1])),
        ("steps", Tensor(shape: [], scalars: [Int32(12)])),
    ])

    func testWriteThenReadRoundTripsAndLeavesNoTemporaryFile() throws {
        let path = directory + "/model.safetensors"
        try SafeTensors.write(model, metadata: ["round": "3"], to: path)
        let (tensors, metadata) = try SafeTensors.read(path: path)
        XCTAssertEqual(tensors, model)
        XCTAssertEqual(metadata, ["round": "3"])
        // The file holds exactly the encoder's bytes.
        let onDisk = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(onDisk, try SafeTensors.encode(model, metadata: ["round": "3"]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
    }

    func testWriteReplacesAnExistingFile() throws {
        let path = directory + "/model.safetensors"
        try SafeTensors.write(model, to: path)
        let smaller = ParameterSet([("only", Tensor(shape: [1], scalars: [7.0]))])
        try SafeTensors.write(smaller, to: path)
        XCTAssertEqual(try SafeTensors.read(path: path).tensors, smaller)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
    }

    func testRelativePathWritesIntoTheCurrentDirectory() throws {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try SafeTensors.write(model, to: "relative.safetensors")
        XCTAssertEqual(try SafeTensors.read(path: directory + "/relative.safetensors").tensors, model)
    }

    func testUnreadableFilesNameThePath() {
        let missing = directory + "/missing.safetensors"
        assertThrows(.fileNotReadable(path: missing, message: "No such file or directory")) {
            try SafeTensors.read(path: missing)
        }
        XCTAssertThrowsError(try SafeTensors.read(path: directory)) { error in
            guard case let .fileNotReadable(path, message) = error as? FoedusNNError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, directory)
            XCTAssertFalse(message.isEmpty)
        }
    }

    func testUnwritablePathsNameThePath() {
        let path = directory + "/no/such/dir/model.safetensors"
        XCTAssertThrowsError(try SafeTensors.write(model, to: path)) { error in
            guard case let .fileNotWritable(p, message) = error as? FoedusNNError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(message.contains("No such file or directory"), message)
        }
        // Renaming a file over a non-empty directory fails; the temporary file is cleaned up.
        let occupied = directory + "/occupied"
        XCTAssertNoThrow(try FileManager.default.createDirectory(atPath: occupied + "/child", withIntermediateDirectories: true))
        XCTAssertThrowsError(try SafeTensors.write(model, to: occupied)) { error in
            guard case .fileNotWritable(occupied, _) = error as? FoedusNNError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["occupied"])
    }

    func testMetadataNamedTensorIsRejectedBeforeTouchingTheDisk() {
        let path = directory + "/bad.safetensors"
        let set = ParameterSet([("__metadata__", Tensor(shape: [1], scalars: [Float(1)]))])
        assertThrows(.duplicateName(source: path, name: "__metadata__")) { try SafeTensors.write(set, to: path) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testDecodeErrorsNameTheFile() throws {
        let path = directory + "/cut.safetensors"
        let full = try SafeTensors.encode(model)
        try Data(full.dropLast(4)).write(to: URL(fileURLWithPath: path))
        assertThrows(.truncated(source: path, expectedBytes: full.count, actualBytes: full.count - 4)) {
            try SafeTensors.read(path: path)
        }
    }

    // MARK: Loading into a model

    func testReadMatchingReordersToTheModel() throws {
        let path = directory + "/model.safetensors"
        let shuffled = ParameterSet([("steps", model["steps"]!), ("fc.bias", model["fc.bias"]!), ("fc.weight", model["fc.weight"]!)])
        try SafeTensors.write(shuffled, to: path)
        let (tensors, _) = try SafeTensors.read(path: path, matching: model.map { $0.zerosLike })
        XCTAssertEqual(tensors, model)
    }

    func testConformReportsEveryMismatch() {
        var missing = model
        missing.remove("fc.bias")
        assertThrows(.missingTensor(name: "fc.bias")) { try SafeTensors.conform(missing, to: model) }

        var extra = model
        extra.append("fc2.weight", Tensor(shape: [1], scalars: [Float(0)]))
        assertThrows(.unexpectedTensor(name: "fc2.weight")) { try SafeTensors.conform(extra, to: model) }

        var reshaped = model
        reshaped["fc.weight"] = Tensor(shape: [3, 2], scalars: [Float(1), 2, 3, 4, 5, 6])
        assertThrows(.shapeMismatch(name: "fc.weight", expected: [2, 3], found: [3, 2])) { try SafeTensors.conform(reshaped, to: model) }

        var recast = model
        recast["fc.bias"] = Tensor(shape: [2], scalars: [-1.0, 1.0])
        assertThrows(.dtypeMismatch(name: "fc.bias", expected: .float32, found: .float64)) { try SafeTensors.conform(recast, to: model) }
    }
}
