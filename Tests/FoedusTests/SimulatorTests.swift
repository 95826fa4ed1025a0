import Foundation
import XCTest
import Foedus
import FoedusData
import FoedusNN
import FoedusTensor

/// A RunRecorder in memory that can "crash" after a given number of rounds.
final class MemoryRecorder: RunRecorder, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [RoundSummary] = []
    private var checkpoints: [Checkpoint] = []
    var failAfter: Int?

    struct Crash: Error {}

    func record(runID: String, round: RoundSummary, checkpoint: Checkpoint?) throws {
        lock.lock()
        defer { lock.unlock() }
        if let failAfter, stored.count >= failAfter { throw Crash() }
        // As RunStore: re-recording round r (a resume from an older checkpoint) replaces rounds ≥ r.
        stored.removeAll { $0.round >= round.round }
        stored.append(round)
        if let checkpoint { checkpoints.append(checkpoint) }
    }

    func latestCheckpoint(runID: String) throws -> Checkpoint? {
        lock.lock()
        defer { lock.unlock() }
        return checkpoints.last
    }

    func rounds(runID: String) throws -> [RoundSummary] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

final class SimulatorTests: XCTestCase {
    /// A 4-class synthetic dataset of 8×8 images whose class decides which quadrant is bright.
    static func syntheticData(count: Int = 480) -> (Dataset, Dataset) {
        func make(_ n: Int, salt: Int) -> Dataset {
            var images: [UInt8] = []
            var labels: [Int32] = []
            for i in 0..<n {
                let c = (i * 7 + salt) % 4
                for y in 0..<8 {
                    for x in 0..<8 {
                        let bright = (y < 4) == (c < 2) && (x < 4) == (c % 2 == 0)
                        images.append(UInt8((bright ? 180 : 40) + (i * 31 + y * 8 + x * 13 + salt) % 60))
                    }
                }
                labels.append(Int32(c))
            }
            return Dataset(name: "synthetic", images: images, labels: labels, channels: 1, height: 8, width: 8, classes: 4)
        }
        return (make(count, salt: 0), make(96, salt: 1))
    }

    static func config(_ extra: [String]) throws -> SimulationConfig {
        try SimulationConfig.parse(yaml: """
        name: sim-test
        seed: 5
        data: {dataset: fashion-mnist, partition: {kind: ssfl, K: 6, R: 0.5, Ns: 40}}
        model: {name: cnn-gn}
        federation: {method: grouping, objective: crl, rounds: 3, clients_per_round: 4, local_steps: 2, groups: 2}
        training: {batch_size: 16, lr: 0.05, threshold: 0.3}
        evaluation: {every: 1}
        """, overrides: extra)
    }

    static func simulator(_ config: SimulationConfig) throws -> Simulator {
        let (train, test) = syntheticData()
        let partition = try Partitioner.ssfl(labeled: config.labeled, users: config.users, nonIID: config.nonIID)
            .partition(labels: train.labels, classes: train.classes, key: RandomKey(seed: config.seed).derived("partition"))
        let data = SimulationData(train: train, test: test, partition: partition, normalization: Normalization(mean: [0.5], std: [0.25]))
        return try Simulator(config: config, data: data, runID: "test")
    }

    func testFinalModelIsBitIdenticalForAnyWorkerCount() throws {
        // Oracle: exact equality of the final weights (fixed aggregation order, per-task seeds).
        for method in ["grouping", "fedavg", "fedprox"] {
            let one = try Self.simulator(Self.config(["run.workers=1", "federation.method=\(method)"])).run(recorder: nil)
            let two = try Self.simulator(Self.config(["run.workers=2", "federation.method=\(method)"])).run(recorder: nil)
            let three = try Self.simulator(Self.config(["run.workers=3", "federation.method=\(method)"])).run(recorder: nil)
            XCTAssertEqual(one, two, method)
            XCTAssertEqual(one, three, method)
            XCTAssertEqual(one.round, 3)
        }
    }

    func testResumeAfterACrashEndsWithTheSameModel() throws {
        let config = try Self.config(["run.workers=2"])
        let uninterrupted = try Self.simulator(config).run(recorder: MemoryRecorder())
        let recorder = MemoryRecorder()
        recorder.failAfter = 1
        XCTAssertThrowsError(try Self.simulator(config).run(recorder: recorder))
        XCTAssertEqual(try recorder.rounds(runID: "test").count, 1)
        recorder.failAfter = nil
        let resumed = try Self.simulator(config).run(recorder: recorder)
        XCTAssertEqual(resumed, uninterrupted)
        XCTAssertEqual(try recorder.rounds(runID: "test").map(\.round), [1, 2, 3])
    }

    func testResumeFromAnOlderCheckpointReRunsTheRoundsAfterIt() throws {
        // checkpoint_every = 2, crash after round 3 (checkpoint at 2): the resumed run restarts at
        // round 3 and ends with the uninterrupted model, each round stored once.
        let config = try Self.config(["run.checkpoint_every=2", "federation.rounds=4"])
        let uninterrupted = try Self.simulator(config).run(recorder: MemoryRecorder())
        let recorder = MemoryRecorder()
        recorder.failAfter = 3
        XCTAssertThrowsError(try Self.simulator(config).run(recorder: recorder))
        XCTAssertEqual(try recorder.latestCheckpoint(runID: "test")?.round, 2)
        recorder.failAfter = nil
        XCTAssertEqual(try Self.simulator(config).run(recorder: recorder), uninterrupted)
        XCTAssertEqual(try recorder.rounds(runID: "test").map(\.round), [1, 2, 3, 4])
    }

    func testGroupingUsersRestartFromTheirGroupMean() throws {
        let sim = try Self.simulator(Self.config(["federation.rounds=1"]))
        let (state, summary) = sim.runRound(sim.initialState())
        XCTAssertEqual(state.groups.count, 2)
        // The global model is the uniform mean of the two group means.
        var mean = WeightedMean()
        for g in state.groups { mean.add(g, weight: 1) }
        XCTAssertEqual(mean.mean(), state.global.parameters)
        XCTAssertEqual(summary.participants.count, 4)
        XCTAssertEqual(summary.clients.filter { $0.client < 0 }.count, 2, "one server replica per group")
        XCTAssertNotNil(summary.metrics["test_accuracy"])
        XCTAssertNotNil(summary.metrics["group0_test_accuracy"])
        XCTAssertNotNil(summary.metrics["group1_test_accuracy"])
    }

    func testGradientDiversityIsMeasuredWhenAsked() throws {
        let sim = try Self.simulator(Self.config(["evaluation.gradient_diversity_every=1", "federation.objective=supervised"]))
        let (_, summary) = sim.runRound(sim.initialState())
        // By Cauchy–Schwarz the diversity of n gradients lies in [1, n].
        let d = try XCTUnwrap(summary.metrics["gradient_diversity"])
        XCTAssertGreaterThanOrEqual(d, 1 - 1e-9)
        XCTAssertLessThanOrEqual(d, 3 + 1e-9)
    }

    func testQuantizedWireIsSmallerDeterministicAndWorkerIndependent() throws {
        for wire in ["int8", "int4"] {
            let one = try Self.simulator(Self.config(["federation.wire=\(wire)", "run.workers=1", "federation.rounds=1"]))
            let (state1, summary) = one.runRound(one.initialState())
            let two = try Self.simulator(Self.config(["federation.wire=\(wire)", "run.workers=2", "federation.rounds=1"]))
            XCTAssertEqual(two.runRound(two.initialState()).0, state1, wire)
            let ratio = summary.metrics["uplink_bytes"]! / summary.metrics["uplink_bytes_fp32"]!
            XCTAssertLessThanOrEqual(ratio, wire == "int8" ? 0.26 : 0.135, wire)
        }
        let fp32 = try Self.simulator(Self.config(["federation.rounds=1"]))
        let summary = fp32.runRound(fp32.initialState()).1
        XCTAssertEqual(summary.metrics["uplink_bytes"], summary.metrics["uplink_bytes_fp32"])
    }

    func testFullyQuantizedUsersAreDeterministicAndShipInt8() throws {
        // Users train with FQT (integer GEMMs, BHQ gradients): the run is still bit-identical for
        // any worker count, ships int8 by default, and differs from the float run.
        let extra = ["training.precision=fqt", "training.gradient_quantizer=bhq", "training.gradient_bits=5", "federation.rounds=1"]
        let one = try Self.simulator(Self.config(extra + ["run.workers=1"]))
        let (state1, summary) = one.runRound(one.initialState())
        let two = try Self.simulator(Self.config(extra + ["run.workers=2"]))
        XCTAssertEqual(two.runRound(two.initialState()).0, state1)
        XCTAssertEqual(one.config.wire, "int8")
        XCTAssertLessThanOrEqual(summary.metrics["uplink_bytes"]! / summary.metrics["uplink_bytes_fp32"]!, 0.26)
        let float = try Self.simulator(Self.config(["federation.rounds=1", "federation.wire=int8"]))
        XCTAssertNotEqual(float.runRound(float.initialState()).0, state1)
        XCTAssertTrue(state1.global.parameters.names.allSatisfy { state1.global.parameters[$0]!.doubles.allSatisfy(\.isFinite) })
    }

    func testQuantizedDownlinkUsersStartFromTheDequantizedModel() throws {
        // Oracle: the plan's own quantized payload, dequantized; replicas keep the exact model.
        for bits in ["int8", "int4"] {
            let sim = try Self.simulator(Self.config(["federation.downlink=\(bits)", "federation.rounds=2"]))
            let (afterOne, _) = sim.runRound(sim.initialState())
            let plan = sim.planRound(afterOne)
            for (g, task) in plan.tasks {
                if case .user = task.role {
                    let sent = try XCTUnwrap(plan.downlink[g])
                    XCTAssertEqual(task.start.parameters, Simulator.dequantize(sent, like: afterOne.groups[g]), bits)
                    XCTAssertNotEqual(task.start.parameters, afterOne.groups[g], bits)
                    XCTAssertTrue(sent.allSatisfy { $0.bits.rawValue == (bits == "int8" ? 8 : 4) })
                } else {
                    XCTAssertEqual(task.start.parameters, afterOne.global.parameters)
                }
            }
            let summary = sim.runRound(afterOne).1
            let users = Double(plan.participants.count)
            let fp32 = users * Double(afterOne.global.parameters.scalarCount * 4)
            XCTAssertLessThanOrEqual(summary.metrics["downlink_bytes"]! / fp32, bits == "int8" ? 0.26 : 0.135, bits)
        }
    }

    func testLabeledOnlyTrainsTheServerAlone() throws {
        let sim = try Self.simulator(Self.config(["federation.method=labeled-only", "federation.rounds=2"]))
        let (_, summary) = sim.runRound(sim.initialState())
        XCTAssertEqual(summary.participants, [])
        XCTAssertEqual(summary.clients.map(\.client), [-1])
    }

    func testCheckpointRoundTripAndCorruptionIsTyped() throws {
        let sim = try Self.simulator(Self.config([]))
        let (state, _) = sim.runRound(sim.initialState())
        let checkpoint = try sim.checkpoint(state)
        XCTAssertEqual(try sim.restore(checkpoint), state)
        var broken = checkpoint
        broken.blob = Array(broken.blob.prefix(broken.blob.count / 2))
        XCTAssertThrowsError(try sim.restore(broken)) { error in
            guard case FoedusError.badCheckpoint = error else { return XCTFail("\(error)") }
        }
    }
}
