import Foundation
import XCTest
import Foedus
@testable import FoedusStore

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("foedus-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func sampleRun(_ id: String = "run-1", createdAt: Double = 1_700_000_000, seed: UInt64 = 42) -> RunRecord {
    RunRecord(
        id: id, name: "mnist-ssfl", kind: .simulate,
        configYAML: "rounds: 10\nclients: 4\n", configJSON: #"{"clients":4,"rounds":10}"#,
        seed: seed, codeVersion: "abc1234", createdAt: createdAt, totalRounds: 10)
}

/// Round `number` with clients listed out of id order (participant order must survive storage) and
/// a server replica with a negative id; every value differs so a swapped column would show.
func sampleRound(_ number: Int) -> RoundSummary {
    let base = Double(number)
    return RoundSummary(
        round: number,
        participants: [7, 2, 5],
        metrics: ["test_accuracy": 0.5 + base / 100, "train_loss": 2.0 / base],
        startedAt: 1_700_000_000 + base * 10,
        seconds: 1.25 * base,
        clients: [
            ClientResultSummary(client: 7, examples: 100 + number, metrics: ["loss": 1.5 / base], seconds: 0.5),
            ClientResultSummary(client: 2, examples: 200 + number, metrics: ["loss": 1.0 / base, "mask_rate": 0.25], seconds: 0.75),
            ClientResultSummary(client: 5, examples: 300 + number, metrics: [:], seconds: 1.0),
            ClientResultSummary(client: -1, examples: 50, metrics: ["loss": 0.125], seconds: 0.3),
        ])
}

func sampleCheckpoint(_ round: Int, size: Int = 1000) -> Checkpoint {
    Checkpoint(round: round, blob: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) })
}

/// Asserts that `body` throws a `StoreError` and returns it.
func storeError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> StoreError? {
    do {
        _ = try body()
        XCTFail("expected a StoreError, nothing was thrown", file: file, line: line)
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        XCTFail("expected a StoreError, got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}
