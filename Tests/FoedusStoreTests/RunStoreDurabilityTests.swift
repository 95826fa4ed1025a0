import Dispatch
import Foundation
import GRDB
import XCTest
@testable import FoedusStore

final class RunStoreDurabilityTests: XCTestCase {
    func testRoundsSurviveDroppingTheStore() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("runs.sqlite").path
        var store: RunStore? = try RunStore(path: path)
        try store?.createRun(sampleRun())
        for number in 1...3 {
            try store?.record(runID: "run-1", round: sampleRound(number), checkpoint: sampleCheckpoint(number))
        }
        store = nil
        let reopened = try RunStore(path: path)
        XCTAssertEqual(try reopened.rounds(runID: "run-1"), (1...3).map(sampleRound))
        XCTAssertEqual(try reopened.latestCheckpoint(runID: "run-1"), sampleCheckpoint(3))
    }

    /// What a killed process leaves behind: the database and its WAL as they are on disk while the
    /// store is still open (nothing closed, nothing checkpointed into the main file on purpose).
    func testFilesOfALiveStoreRecoverCommittedRounds() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("runs.sqlite").path
        let store = try RunStore(path: path)
        try store.createRun(sampleRun())
        for number in 1...3 {
            try store.record(runID: "run-1", round: sampleRound(number), checkpoint: sampleCheckpoint(number))
        }
        let crashed = directory.appendingPathComponent("crashed", isDirectory: true)
        try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
        let copy = crashed.appendingPathComponent("runs.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        // The committed rounds are still only in the WAL (no checkpoint into the main file yet), so
        // recovery has to replay it, as after a crash.
        let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
        XCTAssertGreaterThan(walSize ?? 0, 0)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
        let recovered = try RunStore(path: copy)
        XCTAssertEqual(try recovered.rounds(runID: "run-1").map(\.round), [1, 2, 3])
        XCTAssertEqual(try recovered.latestCheckpoint(runID: "run-1"), sampleCheckpoint(3))
        // A second connection to the live file sees the same committed state.
        XCTAssertEqual(try RunStore(path: path).rounds(runID: "run-1").count, 3)
        XCTAssertEqual(try store.rounds(runID: "run-1").count, 3)
    }

    func testThrowingInsideAWriteLeavesNothing() throws {
        struct Interrupted: Error {}
        let path = try temporaryDirectory(self).appendingPathComponent("runs.sqlite").path
        let store = try RunStore(path: path)
        try store.createRun(sampleRun())
        let error = storeError {
            try store.write("half-finished round") { db in
                try db.execute(sql: """
                    INSERT INTO rounds (run_id, round, participants_json, metrics_json, started_at, seconds)
                    VALUES ('run-1', 1, '[1]', '{}', 0, 0)
                    """)
                try db.execute(sql: """
                    INSERT INTO client_results (run_id, round, client, position, examples, metrics_json, seconds)
                    VALUES ('run-1', 1, 1, 0, 10, '{}', 0)
                    """)
                throw Interrupted()
            }
        }
        guard case let .database(operation, _)? = error else {
            return XCTFail("expected database error, got \(String(describing: error))")
        }
        XCTAssertEqual(operation, "half-finished round")
        XCTAssertEqual(try store.rounds(runID: "run-1"), [])
        XCTAssertEqual(try RunStore(path: path).clientResults(runID: "run-1", round: 1), [])
    }

    func testConcurrentReadersWhileWriting() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("runs.sqlite").path
        let store = try RunStore(path: path)
        try store.createRun(sampleRun())
        let rounds = 40
        let failures = FailureLog()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                for number in 1...rounds {
                    try store.record(runID: "run-1", round: sampleRound(number), checkpoint: sampleCheckpoint(number, size: 20_000))
                }
            } catch {
                failures.append("writer: \(error)")
            }
        }
        for reader in 0..<2 {
            DispatchQueue.global().async(group: group) {
                var seen = 0
                let deadline = Date().addingTimeInterval(60)
                while seen < rounds && Date() < deadline {
                    do {
                        let snapshot = try store.rounds(runID: "run-1")
                        // Each snapshot is a committed prefix: whole rounds, never a round without its clients.
                        if snapshot.map(\.round) != (0..<snapshot.count).map({ $0 + 1 })
                            || snapshot.contains(where: { $0 != sampleRound($0.round) }) {
                            failures.append("reader \(reader): inconsistent snapshot \(snapshot.map(\.round))")
                            return
                        }
                        if snapshot.count < seen {
                            failures.append("reader \(reader): went back from \(seen) to \(snapshot.count) rounds")
                        }
                        seen = snapshot.count
                        if let checkpoint = try store.latestCheckpoint(runID: "run-1"), checkpoint.round < seen {
                            failures.append("reader \(reader): checkpoint \(checkpoint.round) older than round \(seen)")
                        }
                    } catch {
                        failures.append("reader \(reader): \(error)")
                        return
                    }
                }
                if seen < rounds {
                    failures.append("reader \(reader): saw only \(seen) rounds")
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(failures.entries, [])
        XCTAssertEqual(try store.rounds(runID: "run-1").count, rounds)
        XCTAssertEqual(try store.checkpointRounds(runID: "run-1"), [rounds - 1, rounds])
    }
}

/// Failures reported from worker threads.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ entry: String) {
        lock.lock()
        stored.append(entry)
        lock.unlock()
    }

    var entries: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
