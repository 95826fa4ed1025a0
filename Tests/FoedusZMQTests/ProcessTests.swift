import Foundation
import XCTest
import Foedus
import FoedusStore
@testable import FoedusZMQ

/// The deployed runtime as users run it: `foedus server`, `client`, `pool` and `launch`
/// processes on loopback, killed with SIGKILL where the test says so. Every wait is bounded.
final class ProcessTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("foedus-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try RuntimeTests.yaml.write(to: directory.appendingPathComponent("run.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The `foedus` executable built next to this test bundle.
    static var foedus: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift test runs .build/<config>/FoedusPackageTests.xctest; the CLI sits beside it.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("foedus").path
    }

    final class Child {
        let process = Process()
        let output = Pipe()
        let errors: URL

        init(_ arguments: [String], errors: URL) throws {
            self.errors = errors
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: ProcessTests.foedus)
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
        }

        /// Waits (bounded) and returns the JSON object the command printed.
        func json(within seconds: Double, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning {
                kill()
                let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                XCTFail("\(process.arguments?.first ?? "") still running after \(seconds) s; stderr:\n\(log.suffix(3000))", file: file, line: line)
                throw TransportError.timeout(waitingFor: "a child process", seconds: seconds)
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                XCTFail("exit \(process.terminationStatus); stderr:\n\(log.suffix(3000))", file: file, line: line)
                throw TransportError.timeout(waitingFor: "JSON output", seconds: seconds)
            }
            return object
        }

        func kill() {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    func run(_ arguments: [String], _ name: String) throws -> Child {
        try Child(arguments, errors: directory.appendingPathComponent("\(name).log"))
    }

    var config: String { directory.appendingPathComponent("run.yaml").path }
    var db: String { directory.appendingPathComponent("runs.sqlite").path }

    /// A loopback port that was free a moment ago.
    static func freePort() throws -> Int {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .router)
        try socket.bind("tcp://127.0.0.1:*")
        let port = Int(socket.lastEndpoint.split(separator: ":").last!)!
        socket.close()
        return port
    }

    func simulatedSHA(_ overrides: [String] = []) throws -> String {
        let sim = try run(["simulate", config, "--db", db, "--json", "--quiet"] + overrides.flatMap { ["--set", $0] }, "simulate")
        return try XCTUnwrap(try sim.json(within: 120)["final_sha256"] as? String)
    }

    func testLaunchMatchesSimulateBitForBit() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.foedus), "build the CLI first: \(Self.foedus)")
        let expected = try simulatedSHA()
        let launch = try run(["launch", config, "--db", db, "--json", "--quiet"], "launch")
        let result = try launch.json(within: 180)
        XCTAssertEqual(result["final_sha256"] as? String, expected)
        XCTAssertEqual(result["updates"] as? Int, 9)
        XCTAssertEqual(result["clients"] as? Int, 3)
    }

    func testClientKilledMidRunLeavesRoundsToQuorumAndDeadline() throws {
        let port = try Self.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let server = try run(["server", "--config", config, "--bind", endpoint, "--db", db, "--run-id", "kill-client", "--deadline", "3",
                              "--quorum", "0.5", "--set", "federation.rounds=4", "--json", "--quiet"], "server")
        defer { server.kill() }
        let clients = try (0..<3).map { i in
            try run(["client", "--connect", endpoint, "--partition", "\(i)/3", "--give-up-after", "60", "--quiet"], "client\(i)")
        }
        defer { clients.forEach { $0.kill() } }
        // Kill user 2 as soon as round 1 is stored: round 2 has been dispatched to it by then.
        let store = try RunStore(path: db)
        let deadline = Date().addingTimeInterval(120)
        while (try? store.rounds(runID: "kill-client").count) ?? 0 < 1 && Date() < deadline { usleep(20_000) }
        clients[2].kill()
        let result = try server.json(within: 120)
        XCTAssertEqual(result["rounds"] as? Int, 4)
        let rounds = try store.rounds(runID: "kill-client")
        XCTAssertEqual(rounds.map(\.round), [1, 2, 3, 4])
        // Round 1 normally has all three (a client slowed by a loaded machine may miss its deadline).
        for r in rounds.dropFirst() {
            XCTAssertEqual(r.metrics["missing_updates"], 1, "round \(r.round)")
            XCTAssertFalse(r.clients.contains { $0.client == 2 }, "round \(r.round)")
        }
    }

    func testServerKilledWithSIGKILLResumesWithoutLosingOrRepeatingARound() throws {
        let overrides = ["federation.rounds=6"]
        let expected = try simulatedSHA(overrides)
        let port = try Self.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let arguments = ["server", "--config", config, "--bind", endpoint, "--db", db, "--run-id", "kill-server", "--json", "--quiet"]
            + overrides.flatMap { ["--set", $0] }
        let first = try run(arguments, "server1")
        let pool = try run(["pool", "--connect", endpoint, "--clients", "3", "--give-up-after", "120", "--json", "--quiet"], "pool")
        defer { pool.kill() }
        let store = try RunStore(path: db)
        let deadline = Date().addingTimeInterval(120)
        while (try? store.rounds(runID: "kill-server").count) ?? 0 < 2 && Date() < deadline { usleep(10_000) }
        first.kill()
        let stored = try store.rounds(runID: "kill-server").count
        XCTAssertGreaterThanOrEqual(stored, 2)
        XCTAssertLessThan(stored, 6, "the server finished before it could be killed")
        let second = try run(arguments, "server2")
        let result = try second.json(within: 180)
        XCTAssertEqual(result["final_sha256"] as? String, expected)
        XCTAssertEqual(try store.rounds(runID: "kill-server").map(\.round), Array(1...6))
        XCTAssertEqual(try store.run(id: "kill-server").status, .finished)
        _ = try pool.json(within: 30)
    }

    func testClientWithItsOwnImageFile() throws {
        // A client holding its own unlabeled images (an IDX file) instead of a partition slot.
        var idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 40, 0, 0, 0, 28, 0, 0, 0, 28]
        for i in 0..<(40 * 28 * 28) { idx.append(UInt8((i * 37 + i / 28 * 11) % 256)) }
        let images = directory.appendingPathComponent("own-images-idx3-ubyte").path
        FileManager.default.createFile(atPath: images, contents: Data(idx))
        let port = try Self.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let server = try run(["server", "--config", config, "--bind", endpoint, "--db", db, "--run-id", "own-data", "--min-clients", "3",
                              "--set", "federation.rounds=2", "--json", "--quiet"], "server")
        defer { server.kill() }
        let own = try run(["client", "--connect", endpoint, "--data", images, "--give-up-after", "60", "--json", "--quiet"], "own")
        let others = try (0..<2).map { i in try run(["client", "--connect", endpoint, "--partition", "\(i)/3", "--give-up-after", "60", "--quiet"], "c\(i)") }
        defer { others.forEach { $0.kill() } }
        XCTAssertEqual(try server.json(within: 120)["updates"] as? Int, 6)
        XCTAssertEqual(try own.json(within: 30)["tasks"] as? Int, 2)
    }
}
