import Foundation
import GRDB
import XCTest
@testable import FoedusStore

final class RunStoreRunsTests: XCTestCase {
    func testCreateReadRoundTrip() throws {
        let store = try RunStore.inMemory()
        var run = sampleRun("sweep-a-7", seed: .max)
        run.kind = .sweepMember
        run.name = "sweep a, member 7 — ünïcode"
        try store.createRun(run)
        XCTAssertEqual(try store.run(id: "sweep-a-7"), run)
        // Custom kinds are stored verbatim.
        var custom = sampleRun("custom")
        custom.kind = RunKind(rawValue: "client-pool")
        try store.createRun(custom)
        XCTAssertEqual(try store.run(id: "custom").kind.rawValue, "client-pool")
        let storedSeed = try store.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT seed FROM runs WHERE id = 'sweep-a-7'")
        }
        XCTAssertEqual(storedSeed, -1, "UInt64.max is stored with the same bit pattern")
    }

    func testRunsAreNewestFirst() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun("old", createdAt: 100))
        try store.createRun(sampleRun("newest", createdAt: 300))
        try store.createRun(sampleRun("middle", createdAt: 200))
        try store.createRun(sampleRun("middle-later", createdAt: 200))
        XCTAssertEqual(try store.runs().map(\.id), ["newest", "middle-later", "middle", "old"])
    }

    func testDuplicateRunID() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun("a"))
        var other = sampleRun("a")
        other.name = "different"
        XCTAssertEqual(storeError { try store.createRun(other) }, .duplicateRun(id: "a"))
        XCTAssertEqual(try store.run(id: "a").name, "mnist-ssfl")
    }

    func testInvalidConfigJSONIsRejected() throws {
        let store = try RunStore.inMemory()
        var run = sampleRun("bad")
        run.configJSON = "{rounds: 10"
        guard case let .invalidStoredValue(table, column, runID, _)? = storeError({ try store.createRun(run) }) else {
            return XCTFail("expected invalidStoredValue")
        }
        XCTAssertEqual([table, column, runID], ["runs", "config_json", "bad"])
        XCTAssertEqual(try store.runs(), [])
    }

    func testUnknownRunSuggestsCloseMatches() throws {
        let store = try RunStore.inMemory()
        for id in ["sim-2024-01-01", "sim-2024-01-02", "sweep-lr-3", "unrelated"] {
            try store.createRun(sampleRun(id))
        }
        guard case let .unknownRun(id, matches)? = storeError({ try store.run(id: "sim-2024-01-0l") }) else {
            return XCTFail("expected unknownRun")
        }
        XCTAssertEqual(id, "sim-2024-01-0l")
        XCTAssertEqual(matches, ["sim-2024-01-01", "sim-2024-01-02"])
        XCTAssertEqual(storeError { try store.run(id: "sweep") }, .unknownRun(id: "sweep", closeMatches: ["sweep-lr-3"]))
        let none = StoreError.unknownRun(id: "zzz", closeMatches: [])
        XCTAssertEqual(storeError { try store.run(id: "zzz") }, none)
        XCTAssertTrue(none.description.contains("list the stored runs"), none.description)
        for call in [{ try store.rounds(runID: "zzz") as Any }, { try store.latestCheckpoint(runID: "zzz") as Any },
                     { try store.updateStatus(runID: "zzz", status: .running) }, { try store.deleteRun(id: "zzz") },
                     { try store.finish(runID: "zzz", finalSHA256: "00") },
                     { try store.record(runID: "zzz", round: sampleRound(1), checkpoint: nil) }] {
            XCTAssertEqual(storeError(call), none)
        }
    }

    func testStatusTransitions() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        let created = try store.run(id: "run-1")
        XCTAssertEqual(created.status, .created)
        XCTAssertNil(created.finishedAt)

        try store.updateStatus(runID: "run-1", status: .running)
        let running = try store.run(id: "run-1")
        XCTAssertEqual(running.status, .running)
        XCTAssertNil(running.finishedAt)
        XCTAssertGreaterThan(running.updatedAt, created.updatedAt)

        try store.updateStatus(runID: "run-1", status: .interrupted, error: "SIGINT")
        let interrupted = try store.run(id: "run-1")
        XCTAssertEqual(interrupted.status, .interrupted)
        XCTAssertEqual(interrupted.error, "SIGINT")
        XCTAssertNotNil(interrupted.finishedAt)

        try store.updateStatus(runID: "run-1", status: .running)
        let resumed = try store.run(id: "run-1")
        XCTAssertNil(resumed.error)
        XCTAssertNil(resumed.finishedAt)

        let sha = SHA256.hexDigest([1, 2, 3])
        try store.finish(runID: "run-1", finalSHA256: sha)
        let finished = try store.run(id: "run-1")
        XCTAssertEqual(finished.status, .finished)
        XCTAssertEqual(finished.finalSHA256, sha)
        XCTAssertNotNil(finished.finishedAt)
        XCTAssertEqual(finished.configYAML, created.configYAML)
    }

    func testDeleteCascades() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun("gone"))
        try store.createRun(sampleRun("kept"))
        for id in ["gone", "kept"] {
            try store.record(runID: id, round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        }
        try store.deleteRun(id: "gone")
        let counts = try store.writer.read { db in
            try ["rounds", "client_results", "checkpoints"].map { table in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE run_id = 'gone'") ?? -1
            }
        }
        XCTAssertEqual(counts, [0, 0, 0])
        XCTAssertEqual(try store.runs().map(\.id), ["kept"])
        XCTAssertEqual(try store.rounds(runID: "kept"), [sampleRound(1)])
        XCTAssertEqual(try store.latestCheckpoint(runID: "kept"), sampleCheckpoint(1))
    }

    func testInvalidStoredStatusIsTypedError() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        try store.writer.write { db in try db.execute(sql: "UPDATE runs SET status = 'exploded'") }
        guard case let .invalidStoredValue(table, column, runID, reason)? = storeError({ try store.runs() }) else {
            return XCTFail("expected invalidStoredValue")
        }
        XCTAssertEqual([table, column, runID], ["runs", "status", "run-1"])
        XCTAssertTrue(reason.contains("exploded"), reason)
        try store.writer.write { db in try db.execute(sql: "UPDATE runs SET status = 'running', total_rounds = 'many'") }
        guard case let .invalidStoredValue(_, roundsColumn, _, _)? = storeError({ try store.run(id: "run-1") }) else {
            return XCTFail("expected invalidStoredValue")
        }
        XCTAssertEqual(roundsColumn, "total_rounds")
    }
}
