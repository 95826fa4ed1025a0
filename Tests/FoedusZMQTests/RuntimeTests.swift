import CZeroMQ
import Foundation
import XCTest
import Foedus
import FoedusTensor
@testable import FoedusZMQ

/// Real sockets on loopback: a server and clients in this process (threads) or as `foedus`
/// processes. Every wait is bounded.
final class RuntimeTests: XCTestCase {
    static let yaml = """
    name: zmq-test
    seed: 11
    data: {dataset: fashion-mnist, partition: {kind: ssfl, K: 3, R: 0.4, Ns: 120}}
    model: {name: cnn-gn}
    federation: {method: grouping, objective: crl, rounds: 3, clients_per_round: 3, local_steps: 2, groups: 2}
    training: {batch_size: 16, lr: 0.05, threshold: 0.5}
    evaluation: {every: 1, test_limit: 200}
    run: {workers: 1, checkpoint_every: 1}
    """

    static func config(_ overrides: [String] = []) throws -> SimulationConfig {
        try SimulationConfig.parse(yaml: yaml, source: "test", overrides: overrides)
    }

    static func simulator(_ config: SimulationConfig, runID: String = "zmq-test") throws -> Simulator {
        try Simulator(config: config, data: try SimulationData.load(config), runID: runID)
    }

    /// Runs `body` on a thread and returns a way to wait for its result (bounded).
    final class Background<T>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<T, Error>?
        init(_ body: @escaping () throws -> T) {
            nonisolated(unsafe) let body = body
            Thread {
                self.result = Result { try body() }
                self.done.signal()
            }.start()
        }
        func wait(seconds: Double, file: StaticString = #filePath, line: UInt = #line) throws -> T {
            guard done.wait(timeout: .now() + seconds) == .success else {
                XCTFail("timed out after \(seconds) s", file: file, line: line)
                throw TransportError.timeout(waitingFor: "background work", seconds: seconds)
            }
            return try result!.get()
        }
    }

    func testServerWithThreeClientsMatchesTheSimulatorBitForBit() throws {
        // Oracle: the in-process simulator's final state, compared for exact equality, on the
        // float32, int8 and int4 uplinks, with an int8 downlink, and with clients that train
        // fully quantized (integer GEMMs, BHQ gradients) and ship int8.
        let fqt = ["training.precision=fqt", "training.gradient_quantizer=bhq", "training.gradient_bits=5"]
        for (wire, downlink, extra) in [("fp32", "fp32", []), ("int8", "fp32", []), ("int4", "int8", []), ("int8", "fp32", fqt)] {
            let config = try Self.config(["federation.wire=\(wire)", "federation.downlink=\(downlink)"] + extra)
            let expected = try Self.simulator(config).run(recorder: nil)
            let server = try FederationServer(simulator: try Self.simulator(config), options: ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 3, registrationTimeout: 60), recorder: nil)
            let endpoint = server.endpoint
            let running = Background { try server.run() }
            let clients = (0..<3).map { i in
                Background { try ClientRuntime(options: ClientOptions(endpoint: endpoint, name: "t\(i)", giveUpAfter: 30), clients: [(Int32(i), .partition(user: i))]).run() }
            }
            let final = try running.wait(seconds: 120)
            for c in clients { XCTAssertEqual(try c.wait(seconds: 30).tasks, 3) }
            XCTAssertEqual(final, expected, "\(wire)/\(downlink) \(extra)")
            XCTAssertEqual(server.statistics.updates, 9)
            XCTAssertEqual(server.statistics.malformed, 0)
        }
    }

    func testPoolHostsManyClientsOverOneProcess() throws {
        // A pool of 3 virtual clients (one runtime) gives the same model as 3 separate clients,
        // also when flow control sends one fit at a time.
        let config = try Self.config()
        let expected = try Self.simulator(config).run(recorder: nil)
        var options = ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 3, registrationTimeout: 60)
        options.maxInFlight = 1
        let server = try FederationServer(simulator: try Self.simulator(config), options: options, recorder: nil)
        let endpoint = server.endpoint
        let running = Background { try server.run() }
        let pool = Background {
            try ClientRuntime(options: ClientOptions(endpoint: endpoint, name: "pool", giveUpAfter: 30, workers: 2),
                              clients: (0..<3).map { (Int32($0), ClientData.partition(user: $0)) }).run()
        }
        XCTAssertEqual(try running.wait(seconds: 120), expected)
        XCTAssertEqual(try pool.wait(seconds: 30).tasks, 9)
    }

    func testRoundCompletesByQuorumAndDeadlineWithoutAClient() throws {
        // User 2 never connects: each round closes at its deadline with the quorum of 2 of 3 and
        // records the missing update; the result equals aggregating without user 2.
        let config = try Self.config(["federation.rounds=2"])
        let options = ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 2, registrationTimeout: 60, roundDeadline: 1, quorum: 0.5, roundTimeout: 60)
        let server = try FederationServer(simulator: try Self.simulator(config), options: options, recorder: nil)
        let endpoint = server.endpoint
        var summaries: [RoundSummary] = []
        let running = Background { try server.run { summaries.append($0) } }
        let clients = (0..<2).map { i in
            Background { try ClientRuntime(options: ClientOptions(endpoint: endpoint, giveUpAfter: 30), clients: [(Int32(i), .partition(user: i))]).run() }
        }
        _ = try running.wait(seconds: 120)
        for c in clients { _ = try c.wait(seconds: 30) }
        XCTAssertEqual(summaries.count, 2)
        for s in summaries {
            XCTAssertEqual(s.metrics["missing_updates"], 1, "round \(s.round)")
            XCTAssertEqual(Set(s.clients.map(\.client)), [-1, -2, 0, 1], "round \(s.round)")
        }
    }

    func testBelowQuorumTheRunFailsAtTheRoundTimeout() throws {
        // One of three users and a quorum of 1.0: the round cannot close; the server gives up.
        let config = try Self.config(["federation.rounds=1"])
        let options = ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 1, registrationTimeout: 60, roundDeadline: 0.5, quorum: 1.0, roundTimeout: 3)
        let server = try FederationServer(simulator: try Self.simulator(config), options: options, recorder: nil)
        let endpoint = server.endpoint
        let running = Background { try server.run() }
        let client = Background { try ClientRuntime(options: ClientOptions(endpoint: endpoint, giveUpAfter: 5), clients: [(0, .partition(user: 0))]).run() }
        XCTAssertThrowsError(try running.wait(seconds: 60)) { error in
            guard case TransportError.timeout = error else { return XCTFail("\(error)") }
        }
        _ = try? client.wait(seconds: 30)
    }

    func testOtherProtocolVersionGetsAClearReject() throws {
        let config = try Self.config()
        let server = try FederationServer(simulator: try Self.simulator(config), options: ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 1, registrationTimeout: 4), recorder: nil)
        let endpoint = server.endpoint
        let running = Background { try server.run() }
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.connect(endpoint)
        let hello = Message.hello(Hello(name: "old", user: 0, software: "foedus 0.0", capabilities: .all, examples: 0))
        try socket.send(hello.frames(header: FrameHeader(kind: .hello, version: 2)))
        let reply = try XCTUnwrap(try socket.receive(timeout: 10))
        let (_, message) = try Message.decode(reply.frames)
        guard case .reject(let code, let reason) = message else { return XCTFail("expected reject, got \(message)") }
        XCTAssertEqual(code, .versionMismatch)
        XCTAssertTrue(reason.contains("version 2"), reason)
        socket.close()
        XCTAssertThrowsError(try running.wait(seconds: 30)) // nobody registered: registration timeout
        XCTAssertEqual(server.statistics.rejected, 1)
    }

    func testMalformedTrafficIsDroppedAndTheSenderCutOff() throws {
        let config = try Self.config()
        var options = ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 1, registrationTimeout: 4)
        options.maxMalformedPerPeer = 3
        let server = try FederationServer(simulator: try Self.simulator(config), options: options, recorder: nil)
        let endpoint = server.endpoint
        let running = Background { try server.run() }
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        try socket.connect(endpoint)
        var replies: [Message] = []
        // Short header; version 0 (rejected, not malformed); bad magic; empty header; 1 byte;
        // then a message after the cut-off, which gets no answer at all.
        for junk in [[UInt8]([1, 2, 3]), Array("FDUS".utf8) + [UInt8](repeating: 0, count: 28), [UInt8](repeating: 0xFF, count: 32), [], [0x46], [0x47]] {
            try socket.send([junk, [9, 9]])
            if let reply = try socket.receive(timeout: junk == [0x47] ? 1 : 5) { replies.append(try Message.decode(reply.frames).1) }
        }
        XCTAssertThrowsError(try running.wait(seconds: 30))
        XCTAssertEqual(server.statistics.malformed, 4)
        XCTAssertEqual(server.statistics.rejected, 1)
        XCTAssertEqual(replies.count, 5)
        XCTAssertEqual(replies.filter { if case .error = $0 { return true } else { return false } }.count, 3)
        XCTAssertTrue(replies.contains { if case .bye = $0 { return true } else { return false } })
        XCTAssertTrue(replies.contains { if case .reject(.versionMismatch, _) = $0 { return true } else { return false } })
        socket.close()
    }

    func testUnknownCurveKeyNeverGetsAModel() throws {
        let serverKeys = try CurveKeyPair.generate(), allowed = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let config = try Self.config(["federation.rounds=1"])
        let options = ServerOptions(bind: "tcp://127.0.0.1:*", minClients: 3, registrationTimeout: 60, curve: (serverKeys, [allowed.publicKey]))
        let server = try FederationServer(simulator: try Self.simulator(config), options: options, recorder: nil)
        let endpoint = server.endpoint
        let running = Background { try server.run() }
        // The stranger's handshake is refused: it hears nothing and gives up.
        let intruder = Background {
            try ClientRuntime(options: ClientOptions(endpoint: endpoint, curve: (serverKeys.publicKey, stranger), giveUpAfter: 2), clients: [(0, .partition(user: 0))]).run()
        }
        XCTAssertThrowsError(try intruder.wait(seconds: 30)) { error in
            guard case TransportError.timeout = error else { return XCTFail("\(error)") }
        }
        XCTAssertGreaterThanOrEqual(server.refusedHandshakes, 1)
        XCTAssertEqual(server.clientCount, 0)
        // Allowed clients register and finish the run over the encrypted connection.
        let clients = (0..<3).map { i in
            Background { try ClientRuntime(options: ClientOptions(endpoint: endpoint, curve: (serverKeys.publicKey, allowed), giveUpAfter: 30), clients: [(Int32(i), .partition(user: i))]).run() }
        }
        XCTAssertEqual(try running.wait(seconds: 120).round, 1)
        for c in clients { XCTAssertEqual(try c.wait(seconds: 30).tasks, 1) }
    }
}
