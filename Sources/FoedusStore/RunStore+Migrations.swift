import GRDB

extension RunStore {
    /// `PRAGMA application_id` of a Foedus store ("Foed" in ASCII), so a foreign SQLite file is refused.
    static let applicationID: Int32 = 0x466F_6564

    /// The schema's history. Append-only: a shipped migration is never edited; a schema change is a
    /// new migration at the end of the list.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-runs") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    config_yaml TEXT NOT NULL,
                    config_json TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    code_version TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    finished_at REAL,
                    total_rounds INTEGER NOT NULL,
                    error TEXT,
                    final_sha256 TEXT
                );
                CREATE INDEX runs_by_created_at ON runs(created_at);
                CREATE INDEX runs_by_status ON runs(status);
                """)
        }
        migrator.registerMigration("v2-rounds") { db in
            // client_results.position keeps participant order, which the primary key does not.
            try db.execute(sql: """
                CREATE TABLE rounds (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    round INTEGER NOT NULL,
                    participants_json TEXT NOT NULL,
                    metrics_json TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    seconds REAL NOT NULL,
                    PRIMARY KEY (run_id, round)
                );
                CREATE TABLE client_results (
                    run_id TEXT NOT NULL,
                    round INTEGER NOT NULL,
                    client INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    examples INTEGER NOT NULL,
                    metrics_json TEXT NOT NULL,
                    seconds REAL NOT NULL,
                    PRIMARY KEY (run_id, round, client),
                    FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round) ON DELETE CASCADE
                );
                CREATE INDEX client_results_by_client ON client_results(run_id, client);
                """)
        }
        migrator.registerMigration("v3-checkpoints") { db in
            // No foreign key to rounds: a checkpoint may precede any round (round 0, the initial model).
            try db.execute(sql: """
                CREATE TABLE checkpoints (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    round INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    sha256 TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (run_id, round)
                );
                """)
        }
        return migrator
    }

    /// Refuses foreign files and newer schemas, then applies pending migrations.
    static func prepare(_ writer: any DatabaseWriter, path: String) throws(StoreError) {
        let migrator = Self.migrator
        do {
            let (applicationID, userTables, applied) = try writer.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let userTables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master
                    WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                    """)
                return (applicationID, userTables, try migrator.appliedIdentifiers(db))
            }
            if applicationID != 0 && applicationID != Self.applicationID {
                throw StoreError.cannotOpen(
                    path: path, reason: "SQLite file of another application (application_id \(applicationID))")
            }
            if applicationID == 0 && !userTables.isEmpty {
                throw StoreError.cannotOpen(
                    path: path, reason: "SQLite file that is not a Foedus run store (tables: \(userTables.sorted().joined(separator: ", ")))")
            }
            let known = migrator.migrations
            let unknown = applied.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty {
                throw StoreError.schemaTooNew(path: path, unknownMigrations: unknown, knownMigrations: known)
            }
            try migrator.migrate(writer)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .cannotOpen(path: path, reason: describe(error))
        }
    }
}
