import FoedusData
import Foundation
import XCTest

/// The committed fixtures (written by `datasets/make_fixtures.py`) and the byte formulas that
/// script used, which serve as the tests' oracle.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static func path(_ name: String) -> String { directory + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    // Same formulas as make_fixtures.py.
    static let tinyCount = 7, tinyRows = 5, tinyColumns = 4
    static let tinyLabels: [Int32] = [3, 1, 4, 1, 5, 9, 2]
    static func tinyPixel(_ n: Int, _ r: Int, _ c: Int) -> UInt8 { UInt8((n * 37 + r * 11 + c * 3 + 5) % 256) }
    static var tinyPixels: [UInt8] {
        (0..<tinyCount).flatMap { n in (0..<tinyRows).flatMap { r in (0..<tinyColumns).map { c in tinyPixel(n, r, c) } } }
    }
    /// EMNIST fixture: byte at stored (row i, column j) of image n; stored 3 rows × 2 columns.
    static func emnistStoredPixel(_ n: Int, _ i: Int, _ j: Int) -> UInt8 { UInt8(n * 50 + i * 2 + j + 1) }
    static let cifarLabels: [Int32] = [7, 0, 9]
    static func cifarPixel(_ k: Int, _ i: Int) -> UInt8 { UInt8((k * 101 + i) % 251) }

    /// A fresh empty directory, removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("foedus-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Copies fixture `name` to `directory/newName` (creating `directory`).
    static func copy(_ name: String, to directory: String, as newName: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path(name), toPath: directory + "/" + newName)
    }
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(_ expected: FoedusDataError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown", file: file, line: line)
    } catch let error as FoedusDataError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

/// The ``FoedusDataError`` that `body` throws (failing the test if it throws none).
func thrownError<T>(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) -> FoedusDataError? {
    do {
        _ = try body()
        XCTFail("expected an error, nothing thrown", file: file, line: line)
    } catch let error as FoedusDataError {
        return error
    } catch {
        XCTFail("expected a FoedusDataError, got \(error)", file: file, line: line)
    }
    return nil
}
