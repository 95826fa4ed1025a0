import Foundation
import Foedus
import GRDB
import XCTest
@testable import FoedusStore

final class RunStoreRoundsTests: XCTestCase {
    func testRecordRoundTrip() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        let before = try store.run(id: "run-1").updatedAt
        try store.record(runID: "run-1", round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        try store.record(runID: "run-1", round: sampleRound(2), checkpoint: nil)
        XCTAssertEqual(try store.rounds(runID: "run-1"), [sampleRound(1), sampleRound(2)])
        XCTAssertEqual(try store.clientResults(runID: "run-1", round: 2), sampleRound(2).clients)
        XCTAssertEqual(try store.clientResults(runID: "run-1", round: 2).map(\.client), [7, 2, 5, -1])
        XCTAssertEqual(try store.clientResults(runID: "run-1", round: 9), [])
        XCTAssertEqual(try store.latestCheckpoint(runID: "run-1"), sampleCheckpoint(1))
        XCTAssertEqual(try store.checkpoint(runID: "run-1", round: 1), sampleCheckpoint(1))
        XCTAssertNil(try store.checkpoint(runID: "run-1", round: 2))
        XCTAssertGreaterThan(try store.run(id: "run-1").updatedAt, before)
        let storedSHA = try store.writer.read { db in try String.fetchOne(db, sql: "SELECT sha256 FROM checkpoints") }
        XCTAssertEqual(storedSHA, SHA256.hexDigest(sampleCheckpoint(1).blob))
    }

    func testRunWithoutCheckpointsHasNoLatest() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        XCTAssertNil(try store.latestCheckpoint(runID: "run-1"))
        XCTAssertEqual(try store.rounds(runID: "run-1"), [])
    }

    func testUsableThroughTheProtocol() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        let recorder: any RunRecorder = store
        try recorder.record(runID: "run-1", round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        XCTAssertEqual(try recorder.rounds(runID: "run-1"), [sampleRound(1)])
        XCTAssertEqual(try recorder.latestCheckpoint(runID: "run-1"), sampleCheckpoint(1))
    }

    func testNonFiniteMetricsSurvive() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        var round = sampleRound(1)
        round.metrics = ["train_loss": .nan, "grad_norm": .infinity, "margin": -.infinity, "acc": 0.1]
        try store.record(runID: "run-1", round: round, checkpoint: nil)
        let metrics = try XCTUnwrap(store.rounds(runID: "run-1").first).metrics
        XCTAssertTrue(try XCTUnwrap(metrics["train_loss"]).isNaN)
        XCTAssertEqual(metrics["grad_norm"], .infinity)
        XCTAssertEqual(metrics["margin"], -.infinity)
        XCTAssertEqual(metrics["acc"], 0.1)
    }

    func testFailedCheckpointInsertLeavesNoRoundNorClients() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        try store.record(runID: "run-1", round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        // Round 2's own rows are new, but its checkpoint claims round 1, whose checkpoint exists: the
        // checkpoint insert violates the primary key after the round and client inserts succeeded.
        let clash = Checkpoint(round: 1, blob: [9, 9, 9])
        guard case let .database(operation, reason)? = storeError({
            try store.record(runID: "run-1", round: sampleRound(2), checkpoint: clash)
        }) else {
            return XCTFail("expected a database error")
        }
        XCTAssertTrue(operation.contains("round 2"), operation)
        XCTAssertTrue(reason.contains("checkpoints"), "the checkpoint insert is what failed: \(reason)")
        XCTAssertEqual(try store.rounds(runID: "run-1"), [sampleRound(1)])
        XCTAssertEqual(try store.clientResults(runID: "run-1", round: 2), [])
        let orphanClients = try store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_results WHERE round = 2")
        }
        XCTAssertEqual(orphanClients, 0)
        XCTAssertEqual(try store.latestCheckpoint(runID: "run-1"), sampleCheckpoint(1))
    }

    func testRecordingTheSameRoundTwiceKeepsTheFirst() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        try store.record(runID: "run-1", round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        var again = sampleRound(1)
        again.metrics = ["test_accuracy": 0.99]
        XCTAssertNotNil(storeError { try store.record(runID: "run-1", round: again, checkpoint: sampleCheckpoint(1, size: 5)) })
        XCTAssertEqual(try store.rounds(runID: "run-1"), [sampleRound(1)])
        XCTAssertEqual(try store.latestCheckpoint(runID: "run-1"), sampleCheckpoint(1))
    }

    func testResumingFromAnOlderCheckpointReplacesTheRoundsAfterIt() throws {
        // checkpoint_every = 2: rounds 1–3 stored, checkpoint after 2; a crash, then the resumed run
        // records round 3 again (and 4): round 3 is replaced, nothing is duplicated.
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        try store.record(runID: "run-1", round: sampleRound(1), checkpoint: nil)
        try store.record(runID: "run-1", round: sampleRound(2), checkpoint: sampleCheckpoint(2))
        try store.record(runID: "run-1", round: sampleRound(3), checkpoint: nil)
        var again = sampleRound(3)
        again.metrics = ["test_accuracy": 0.75]
        try store.record(runID: "run-1", round: again, checkpoint: nil)
        try store.record(runID: "run-1", round: sampleRound(4), checkpoint: sampleCheckpoint(4))
        XCTAssertEqual(try store.rounds(runID: "run-1"), [sampleRound(1), sampleRound(2), again, sampleRound(4)])
        XCTAssertEqual(try store.clientResults(runID: "run-1", round: 3), again.clients)
    }

    func testCheckpointPruningKeepsNewestTwoPerRun() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun("a"))
        try store.createRun(sampleRun("b"))
        try store.record(runID: "b", round: sampleRound(1), checkpoint: sampleCheckpoint(1))
        for number in 1...5 {
            try store.record(runID: "a", round: sampleRound(number), checkpoint: sampleCheckpoint(number))
        }
        XCTAssertEqual(try store.checkpointRounds(runID: "a"), [4, 5])
        XCTAssertEqual(try store.checkpointRounds(runID: "b"), [1])
        XCTAssertEqual(try store.latestCheckpoint(runID: "a"), sampleCheckpoint(5))
        XCTAssertEqual(try store.checkpoint(runID: "a", round: 4), sampleCheckpoint(4))
        XCTAssertNil(try store.checkpoint(runID: "a", round: 3))
        XCTAssertEqual(try store.rounds(runID: "a").map(\.round), [1, 2, 3, 4, 5])

        let keepThree = try RunStore.inMemory(checkpointsToKeep: 3)
        try keepThree.createRun(sampleRun())
        for number in 1...6 {
            try keepThree.record(runID: "run-1", round: sampleRound(number), checkpoint: sampleCheckpoint(number))
        }
        XCTAssertEqual(try keepThree.checkpointRounds(runID: "run-1"), [4, 5, 6])
        XCTAssertEqual(try RunStore.inMemory(checkpointsToKeep: 0).checkpointsToKeep, 1)
    }

    func testCorruptCheckpointIsDetected() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        let good = sampleCheckpoint(3)
        try store.record(runID: "run-1", round: sampleRound(3), checkpoint: good)
        try store.writer.write { db in
            var blob = try XCTUnwrap(Data.fetchOne(db, sql: "SELECT blob FROM checkpoints"))
            blob[blob.startIndex + 500] ^= 0x01
            try db.execute(sql: "UPDATE checkpoints SET blob = ?", arguments: [blob])
        }
        var flipped = good.blob
        flipped[500] ^= 0x01
        let expected = StoreError.corruptCheckpoint(
            runID: "run-1", round: 3,
            expectedSHA256: SHA256.hexDigest(good.blob), actualSHA256: SHA256.hexDigest(flipped))
        XCTAssertEqual(storeError { try store.latestCheckpoint(runID: "run-1") }, expected)
        XCTAssertEqual(storeError { try store.checkpoint(runID: "run-1", round: 3) }, expected)
        XCTAssertTrue(expected.description.contains("round 3"))
    }

    func testInvalidStoredJSONIsTypedError() throws {
        let store = try RunStore.inMemory()
        try store.createRun(sampleRun())
        try store.record(runID: "run-1", round: sampleRound(1), checkpoint: nil)
        try store.writer.write { db in try db.execute(sql: "UPDATE rounds SET metrics_json = 'not json'") }
        guard case let .invalidStoredValue(table, column, runID, _)? = storeError({ try store.rounds(runID: "run-1") }) else {
            return XCTFail("expected invalidStoredValue")
        }
        XCTAssertEqual([table, column, runID], ["rounds", "metrics_json", "run-1"])
        try store.writer.write { db in
            try db.execute(sql: "UPDATE rounds SET metrics_json = '{}'")
            try db.execute(sql: "UPDATE client_results SET metrics_json = '[1, 2]' WHERE client = 2")
        }
        guard case let .invalidStoredValue(clientTable, clientColumn, _, _)? = storeError({
            try store.clientResults(runID: "run-1", round: 1)
        }) else {
            return XCTFail("expected invalidStoredValue")
        }
        XCTAssertEqual([clientTable, clientColumn], ["client_results", "metrics_json"])
    }
}
