import Foedus
import GRDB

extension RunStore: RunRecorder {
    /// Stores a finished round, its client results and (when given) the checkpoint taken after it in
    /// one transaction, then prunes the run's checkpoints to the newest `checkpointsToKeep`.
    ///
    /// Recording round r replaces any stored rounds ≥ r (and their client results): they exist only
    /// when a run resumed from a checkpoint older than its last recorded round (`checkpoint_every`
    /// > 1) and is re-running them, deterministically, to the same results.
    ///
    /// All or nothing: if any insert fails (unknown run, checkpoint round already stored, I/O
    /// error, crash) nothing of this call is stored.
    /// Complexity: O(clients + checkpoint size); the sha256 is computed before the transaction opens.
    /// - Throws: `StoreError.unknownRun`, or `StoreError.database` naming the round.
    public func record(runID: String, round: RoundSummary, checkpoint: Checkpoint?) throws(StoreError) {
        let participantsJSON = try StoreJSON.encode(round.participants, table: "rounds", column: "participants_json", runID: runID)
        let metricsJSON = try StoreJSON.encode(round.metrics, table: "rounds", column: "metrics_json", runID: runID)
        var clientMetricsJSON: [String] = []
        for client in round.clients {
            clientMetricsJSON.append(
                try StoreJSON.encode(client.metrics, table: "client_results", column: "metrics_json", runID: runID))
        }
        let checkpointSHA256 = checkpoint.map { SHA256.hexDigest($0.blob) }
        let keep = checkpointsToKeep
        try write("record round \(round.round) of run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            try db.execute(sql: "DELETE FROM client_results WHERE run_id = ? AND round >= ?", arguments: [runID, round.round])
            try db.execute(sql: "DELETE FROM rounds WHERE run_id = ? AND round >= ?", arguments: [runID, round.round])
            try db.execute(
                sql: """
                    INSERT INTO rounds (run_id, round, participants_json, metrics_json, started_at, seconds)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [runID, round.round, participantsJSON, metricsJSON, round.startedAt, round.seconds])
            for (position, client) in round.clients.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO client_results (run_id, round, client, position, examples, metrics_json, seconds)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [runID, round.round, client.client, position, client.examples,
                                clientMetricsJSON[position], client.seconds])
            }
            let now = Self.now()
            if let checkpoint, let checkpointSHA256 {
                try Self.insertCheckpoint(db, runID: runID, checkpoint: checkpoint, sha256: checkpointSHA256, at: now, keep: keep)
            }
            try db.execute(sql: "UPDATE runs SET updated_at = ? WHERE id = ?", arguments: [now, runID])
        }
    }

    /// The run's recorded rounds in round order, each with its client results in participant order.
    ///
    /// Reads one consistent snapshot, so a concurrent `record` is seen entirely or not at all.
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func rounds(runID: String) throws(StoreError) -> [RoundSummary] {
        let (roundRows, clientRows) = try read("read rounds of run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            let roundRows = try Row.fetchAll(
                db, sql: "SELECT * FROM rounds WHERE run_id = ? ORDER BY round", arguments: [runID])
            let clientRows = try Row.fetchAll(
                db, sql: "SELECT * FROM client_results WHERE run_id = ? ORDER BY round, position", arguments: [runID])
            return (roundRows, clientRows)
        }
        var clientsByRound: [Int: [ClientResultSummary]] = [:]
        for row in clientRows {
            let stored = StoredRow(row: row, table: "client_results", runID: runID)
            clientsByRound[try stored.value("round", as: Int.self), default: []].append(try Self.clientResult(from: stored))
        }
        var summaries: [RoundSummary] = []
        summaries.reserveCapacity(roundRows.count)
        for row in roundRows {
            let stored = StoredRow(row: row, table: "rounds", runID: runID)
            let number: Int = try stored.value("round")
            summaries.append(RoundSummary(
                round: number,
                participants: try stored.json("participants_json", as: [Int].self),
                metrics: try stored.json("metrics_json", as: [String: Double].self),
                startedAt: try stored.value("started_at"),
                seconds: try stored.value("seconds"),
                clients: clientsByRound[number] ?? []))
        }
        return summaries
    }

    /// The client results of one round in participant order (empty if the round is not recorded).
    ///
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func clientResults(runID: String, round: Int) throws(StoreError) -> [ClientResultSummary] {
        let rows = try read("read client results of run '\(runID)' round \(round)") { db in
            try Self.requireRun(db, runID)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM client_results WHERE run_id = ? AND round = ? ORDER BY position",
                arguments: [runID, round])
        }
        var results: [ClientResultSummary] = []
        results.reserveCapacity(rows.count)
        for row in rows {
            results.append(try Self.clientResult(from: StoredRow(row: row, table: "client_results", runID: runID)))
        }
        return results
    }

    static func clientResult(from stored: StoredRow) throws(StoreError) -> ClientResultSummary {
        ClientResultSummary(
            client: try stored.value("client"),
            examples: try stored.value("examples"),
            metrics: try stored.json("metrics_json", as: [String: Double].self),
            seconds: try stored.value("seconds"))
    }
}
