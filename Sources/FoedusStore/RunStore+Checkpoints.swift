import Foundation
import Foedus
import GRDB

extension RunStore {
    /// The run's newest checkpoint (highest round), verified against its stored sha256, or nil if
    /// the run has none.
    ///
    /// - Throws: `StoreError.corruptCheckpoint` if the blob no longer matches its sha256;
    ///   `StoreError.unknownRun` if there is no such run.
    public func latestCheckpoint(runID: String) throws(StoreError) -> Checkpoint? {
        let row = try read("read latest checkpoint of run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            return try Row.fetchOne(
                db, sql: "SELECT round, blob, sha256 FROM checkpoints WHERE run_id = ? ORDER BY round DESC LIMIT 1",
                arguments: [runID])
        }
        return try row.map { row throws(StoreError) in try Self.verifiedCheckpoint(from: row, runID: runID) }
    }

    /// The checkpoint taken after `round`, verified against its stored sha256, or nil if it was never
    /// stored or has been pruned.
    ///
    /// - Throws: `StoreError.corruptCheckpoint` if the blob no longer matches its sha256;
    ///   `StoreError.unknownRun` if there is no such run.
    public func checkpoint(runID: String, round: Int) throws(StoreError) -> Checkpoint? {
        let row = try read("read checkpoint of run '\(runID)' round \(round)") { db in
            try Self.requireRun(db, runID)
            return try Row.fetchOne(
                db, sql: "SELECT round, blob, sha256 FROM checkpoints WHERE run_id = ? AND round = ?",
                arguments: [runID, round])
        }
        return try row.map { row throws(StoreError) in try Self.verifiedCheckpoint(from: row, runID: runID) }
    }

    /// Rounds of the run's stored checkpoints, ascending (at most `checkpointsToKeep` of them).
    ///
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func checkpointRounds(runID: String) throws(StoreError) -> [Int] {
        try read("list checkpoints of run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            return try Int.fetchAll(db, sql: "SELECT round FROM checkpoints WHERE run_id = ? ORDER BY round", arguments: [runID])
        }
    }

    /// Inserts a checkpoint and deletes all but the run's newest `keep`, inside the caller's transaction.
    static func insertCheckpoint(
        _ db: Database, runID: String, checkpoint: Checkpoint, sha256: String, at time: Double, keep: Int
    ) throws {
        try db.execute(
            sql: "INSERT INTO checkpoints (run_id, round, blob, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [runID, checkpoint.round, Data(checkpoint.blob), sha256, time])
        try db.execute(
            sql: """
                DELETE FROM checkpoints WHERE run_id = ? AND round NOT IN (
                    SELECT round FROM checkpoints WHERE run_id = ? ORDER BY round DESC LIMIT ?)
                """,
            arguments: [runID, runID, keep])
    }

    /// Decodes a checkpoint row and checks its bytes against the stored sha256.
    static func verifiedCheckpoint(from row: Row, runID: String) throws(StoreError) -> Checkpoint {
        let stored = StoredRow(row: row, table: "checkpoints", runID: runID)
        let round: Int = try stored.value("round")
        let blob = [UInt8](try stored.value("blob", as: Data.self))
        let expected: String = try stored.value("sha256")
        let actual = SHA256.hexDigest(blob)
        guard actual == expected.lowercased() else {
            throw .corruptCheckpoint(runID: runID, round: round, expectedSHA256: expected, actualSHA256: actual)
        }
        return Checkpoint(round: round, blob: blob)
    }
}
