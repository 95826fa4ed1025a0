import Foundation
import GRDB
import XCTest
@testable import FoedusStore

final class RunStoreOpeningTests: XCTestCase {
    func testMigrationsCreateSchema() throws {
        let store = try RunStore.inMemory()
        let columns = try store.writer.read { db -> [String: [String]] in
            var columns: [String: [String]] = [:]
            for table in ["runs", "rounds", "client_results", "checkpoints"] {
                columns[table] = try db.columns(in: table).map(\.name)
            }
            return columns
        }
        XCTAssertEqual(columns["runs"], [
            "id", "name", "kind", "config_yaml", "config_json", "seed", "code_version", "status",
            "created_at", "updated_at", "finished_at", "total_rounds", "error", "final_sha256",
        ])
        XCTAssertEqual(columns["rounds"], ["run_id", "round", "participants_json", "metrics_json", "started_at", "seconds"])
        XCTAssertEqual(columns["client_results"], ["run_id", "round", "client", "position", "examples", "metrics_json", "seconds"])
        XCTAssertEqual(columns["checkpoints"], ["run_id", "round", "blob", "sha256", "created_at"])
        let (applied, foreignKeys, applicationID) = try store.writer.read { db in
            (try RunStore.migrator.appliedMigrations(db),
             try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"),
             try Int32.fetchOne(db, sql: "PRAGMA application_id"))
        }
        XCTAssertEqual(applied, ["v1-runs", "v2-rounds", "v3-checkpoints"])
        XCTAssertEqual(foreignKeys, true)
        XCTAssertEqual(applicationID, RunStore.applicationID)
    }

    func testMigratingTwiceIsANoOp() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("runs.sqlite").path
        let store = try RunStore(path: path)
        try store.createRun(sampleRun())
        let schema = { try store.writer.read { db in try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name") } }
        let before = try schema()
        try RunStore.migrator.migrate(store.writer)
        XCTAssertEqual(try schema(), before)
        // Reopening the same file migrates again: still the same schema and data.
        let reopened = try RunStore(path: path)
        XCTAssertEqual(try reopened.runs().map(\.id), ["run-1"])
        XCTAssertEqual(try reopened.writer.read { db in try RunStore.migrator.appliedMigrations(db) },
                       RunStore.migrator.migrations)
    }

    func testFileStoreUsesWALAndCreatesParentDirectory() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("nested/deeper/runs.sqlite").path
        let store = try RunStore(path: path)
        XCTAssertEqual(store.path, path)
        let mode = try store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testGarbageFileIsCannotOpen() throws {
        let directory = try temporaryDirectory(self)
        for (name, bytes) in [
            ("big.sqlite", (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }),
            ("small.sqlite", Array("hello, not a database\n".utf8)),
        ] {
            let path = directory.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            guard case let .cannotOpen(errorPath, reason)? = storeError({ try RunStore(path: path) }) else {
                XCTFail("expected cannotOpen for \(name)")
                continue
            }
            XCTAssertEqual(errorPath, path)
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testForeignSQLiteFileIsCannotOpen() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("other.sqlite").path
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        }
        guard case let .cannotOpen(_, reason)? = storeError({ try RunStore(path: path) }) else {
            return XCTFail("expected cannotOpen")
        }
        XCTAssertTrue(reason.contains("notes"), reason)
    }

    func testSchemaFromTheFutureIsTypedError() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("runs.sqlite").path
        do {
            let store = try RunStore(path: path)
            try store.createRun(sampleRun())
            try store.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
        }
        guard case let .schemaTooNew(errorPath, unknown, known)? = storeError({ try RunStore(path: path) }) else {
            return XCTFail("expected schemaTooNew")
        }
        XCTAssertEqual(errorPath, path)
        XCTAssertEqual(unknown, ["v99-from-the-future"])
        XCTAssertEqual(known, ["v1-runs", "v2-rounds", "v3-checkpoints"])
        XCTAssertTrue(StoreError.schemaTooNew(path: path, unknownMigrations: unknown, knownMigrations: known)
            .description.contains("v99-from-the-future"))
    }

    func testUnwritableLocationIsCannotOpen() throws {
        let directory = try temporaryDirectory(self)
        let file = directory.appendingPathComponent("plain-file")
        XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data([1])))
        // The parent "directory" is a regular file.
        let path = file.appendingPathComponent("runs.sqlite").path
        guard case .cannotOpen? = storeError({ try RunStore(path: path) }) else {
            return XCTFail("expected cannotOpen")
        }
    }
}
