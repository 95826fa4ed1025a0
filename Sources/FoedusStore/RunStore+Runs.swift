import GRDB

extension RunStore {
    /// Stores a new run exactly as given.
    ///
    /// - Throws: `StoreError.duplicateRun` if the id is taken; `StoreError.invalidStoredValue` if
    ///   `configJSON` is not valid JSON.
    public func createRun(_ run: RunRecord) throws(StoreError) {
        try write("create run '\(run.id)'") { db in
            if try Bool.fetchOne(db, sql: "SELECT json_valid(?)", arguments: [run.configJSON]) != true {
                throw StoreError.invalidStoredValue(
                    table: "runs", column: "config_json", runID: run.id, reason: "not valid JSON text")
            }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [run.id]) == true {
                throw StoreError.duplicateRun(id: run.id)
            }
            try db.execute(
                sql: """
                    INSERT INTO runs (id, name, kind, config_yaml, config_json, seed, code_version, status,
                                      created_at, updated_at, finished_at, total_rounds, error, final_sha256)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.id, run.name, run.kind.rawValue, run.configYAML, run.configJSON, Int64(bitPattern: run.seed),
                    run.codeVersion, run.status.rawValue, run.createdAt, run.updatedAt, run.finishedAt,
                    run.totalRounds, run.error, run.finalSHA256,
                ])
        }
    }

    /// The run with this id.
    ///
    /// - Throws: `StoreError.unknownRun` (with close matches) if there is none.
    public func run(id: String) throws(StoreError) -> RunRecord {
        let row = try read("read run '\(id)'") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                throw try Self.unknownRunError(db, id)
            }
            return row
        }
        return try Self.runRecord(from: row)
    }

    /// Every stored run, newest first (by `createdAt`, then by insertion).
    ///
    /// Complexity: O(number of runs); blobs and rounds are not loaded.
    public func runs() throws(StoreError) -> [RunRecord] {
        let rows = try read("list runs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY created_at DESC, rowid DESC")
        }
        var records: [RunRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            records.append(try Self.runRecord(from: row))
        }
        return records
    }

    /// Sets a run's status and error text (nil clears it) and stamps `updatedAt`.
    ///
    /// A terminal status (finished, failed, interrupted) also stamps `finishedAt`; a non-terminal one
    /// (a resumed run) clears it.
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func updateStatus(runID: String, status: RunStatus, error: String? = nil) throws(StoreError) {
        try write("update status of run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            let now = Self.now()
            try db.execute(
                sql: "UPDATE runs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                arguments: [status.rawValue, error, now, status.isTerminal ? now : nil, runID])
        }
    }

    /// Marks a run finished with the sha256 (lowercase hex) of its final model; clears any error.
    ///
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func finish(runID: String, finalSHA256: String) throws(StoreError) {
        try write("finish run '\(runID)'") { db in
            try Self.requireRun(db, runID)
            let now = Self.now()
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, error = NULL, final_sha256 = ?, updated_at = ?, finished_at = ?
                    WHERE id = ?
                    """,
                arguments: [RunStatus.finished.rawValue, finalSHA256, now, now, runID])
        }
    }

    /// Deletes a run with its rounds, client results and checkpoints (foreign-key cascade).
    ///
    /// - Throws: `StoreError.unknownRun` if there is no such run.
    public func deleteRun(id: String) throws(StoreError) {
        try write("delete run '\(id)'") { db in
            try Self.requireRun(db, id)
            try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [id])
        }
    }

    static func runRecord(from row: Row) throws(StoreError) -> RunRecord {
        let id: String
        do {
            id = try row.decode(String.self, forColumn: "id")
        } catch {
            throw .invalidStoredValue(table: "runs", column: "id", runID: "?", reason: describe(error))
        }
        let stored = StoredRow(row: row, table: "runs", runID: id)
        let statusName: String = try stored.value("status")
        guard let status = RunStatus(rawValue: statusName) else {
            throw .invalidStoredValue(table: "runs", column: "status", runID: id, reason: "unknown status '\(statusName)'")
        }
        return RunRecord(
            id: id,
            name: try stored.value("name"),
            kind: RunKind(rawValue: try stored.value("kind")),
            configYAML: try stored.value("config_yaml"),
            configJSON: try stored.value("config_json"),
            seed: UInt64(bitPattern: try stored.value("seed", as: Int64.self)),
            codeVersion: try stored.value("code_version"),
            status: status,
            createdAt: try stored.value("created_at"),
            updatedAt: try stored.value("updated_at", as: Double.self),
            finishedAt: try stored.value("finished_at"),
            totalRounds: try stored.value("total_rounds"),
            error: try stored.value("error"),
            finalSHA256: try stored.value("final_sha256"))
    }
}
