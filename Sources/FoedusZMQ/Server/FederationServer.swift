import CZeroMQ
import Dispatch
import Foedus
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor
import Foundation

/// The ZeroMQ federation server: the simulator's round driver with users trained by remote
/// clients. Each round it plans exactly what ``Simulator/runRound(_:)`` plans, trains the server
/// replicas itself, sends fit instructions to the sampled users' clients, folds their updates in
/// task order (so the result is bit-identical to the in-process simulator), waits for stragglers
/// until the round's deadline once a quorum has answered, evaluates and records the round.
/// Killed at any moment, a server restarted on the same store resumes after the last recorded round.
public final class FederationServer: @unchecked Sendable {
    public let simulator: Simulator
    public let options: ServerOptions
    let recorder: (any RunRecorder)?
    let log: @Sendable (String) -> Void
    let context: ZMQContext
    let socket: ZMQSocket
    var authenticator: CurveAuthenticator?
    let runTag: UInt64
    let template: ModelState
    var sequence: UInt64 = 0
    var peers: [[UInt8]: Peer] = [:]
    var userPeers: [Int: [UInt8]] = [:]
    var malformedByIdentity: [[UInt8]: Int] = [:]
    var blocked: Set<[UInt8]> = []
    var nextClientID: UInt32 = 1
    public private(set) var statistics = ServerStatistics()
    var round: RoundInProgress?

    struct Peer {
        var clientID: UInt32
        var user: Int
        var name: String
        var lastSeen: Date
        var capabilities: Capabilities
    }

    /// A round between planning and aggregation.
    struct RoundInProgress {
        var plan: RoundPlan
        var aggregator: RoundAggregator
        /// Task index → identity it was sent to, for user tasks still outstanding.
        var outstanding: [Int: [UInt8]] = [:]
        var results: [Int: TaskResult] = [:]
        var missing: Set<Int> = []
        var userTasks: [Int: Int] = [:]
        var answered = 0
        var tensorFrames: [Int: SharedFrame] = [:]
        /// User tasks not yet sent (flow control: at most `maxInFlight` outstanding).
        var queued: [(task: Int, user: Int)] = []
    }

    /// - Parameters:
    ///   - simulator: the run (config, data, model); its users are trained remotely.
    ///   - recorder: where rounds and checkpoints go (nil: memory only).
    ///   - log: progress and warnings (the CLI prints them on stderr).
    public init(simulator: Simulator, options: ServerOptions, recorder: (any RunRecorder)?, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.simulator = simulator
        self.options = options
        self.recorder = recorder
        self.log = log
        context = try ZMQContext()
        if let curve = options.curve {
            authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: curve.allowed)
        }
        socket = try ZMQSocket(context, .router)
        if let curve = options.curve {
            try socket.setInt(ZMQ_CURVE_SERVER, 1)
            try socket.setString(ZMQ_CURVE_SECRETKEY, curve.keys.secretKey)
            try socket.setString(ZMQ_ZAP_DOMAIN, "foedus")
        }
        // Sends to a vanished peer fail fast instead of being dropped silently.
        try socket.setInt(ZMQ_ROUTER_MANDATORY, 1)
        try socket.setInt64(ZMQ_MAXMSGSIZE, Int64(max(options.limits.maxTensorFrame, options.limits.maxBody)))
        try socket.setInt(ZMQ_SNDHWM, 0)
        try socket.setInt(ZMQ_RCVHWM, 0)
        try socket.setInt(ZMQ_HEARTBEAT_IVL, 1000)
        try socket.setInt(ZMQ_HEARTBEAT_TIMEOUT, 10_000)
        try socket.bind(options.bind)
        runTag = FrameHeader.runTag(simulator.runID)
        template = simulator.initialState().global
    }

    deinit {
        socket.close()
        authenticator?.stop()
    }

    /// The bound endpoint (with the port chosen when binding `:*`).
    public var endpoint: String { socket.lastEndpoint }

    /// Registered clients.
    public var clientCount: Int { peers.count }

    /// CURVE handshakes refused by the allow-list.
    public var refusedHandshakes: Int { authenticator?.refused ?? 0 }

    // MARK: Running

    /// Runs (or resumes) the federation to its last round.
    /// - Parameter onRound: called after each round is recorded.
    public func run(onRound: (RoundSummary) -> Void = { _ in }) throws -> FederationState {
        var state = simulator.initialState()
        if let recorder, let checkpoint = try recorder.latestCheckpoint(runID: simulator.runID) {
            state = try simulator.restore(checkpoint)
            log("resuming run \(simulator.runID) after round \(state.round)")
        }
        if state.round < simulator.config.rounds { try waitForClients() }
        while state.round < simulator.config.rounds {
            let (next, summary) = try runRound(state)
            state = next
            let save = state.round % simulator.config.checkpointEvery == 0 || state.round == simulator.config.rounds
            try recorder?.record(runID: simulator.runID, round: summary, checkpoint: save ? try simulator.checkpoint(state) : nil)
            onRound(summary)
        }
        for identity in Array(peers.keys) { send(.bye(reason: "run \(simulator.runID) finished"), to: identity) }
        // Let the byes leave before the socket closes.
        usleep(100_000)
        return state
    }

    func waitForClients() throws {
        let start = Date()
        var last = -1
        while peers.count < options.minClients {
            if peers.count != last {
                log("waiting for clients: \(peers.count)/\(options.minClients) registered on \(endpoint)")
                last = peers.count
            }
            if Date().timeIntervalSince(start) > options.registrationTimeout {
                throw TransportError.timeout(waitingFor: "\(options.minClients) clients (\(peers.count) registered)", seconds: options.registrationTimeout)
            }
            try pump(timeout: 0.1)
        }
    }

    /// One round: plan, train the replicas here and the users remotely, fold, finish.
    func runRound(_ state: FederationState) throws -> (FederationState, RoundSummary) {
        let plan = simulator.planRound(state)
        var progress = RoundInProgress(plan: plan, aggregator: RoundAggregator(plan: plan, strategy: simulator.strategy))
        // Server replicas train on a background queue while the socket keeps serving.
        let replicaIndices = plan.tasks.indices.filter { if case .server = plan.tasks[$0].task.role { return true } else { return false } }
        let local = LocalResults()
        let trainer = simulator.trainer, workers = simulator.config.workers
        let jobs = replicaIndices.map { plan.tasks[$0].task }
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            WorkerPool.run(count: jobs.count, workers: workers, job: { i in Simulator.execute(jobs[i], trainer: trainer, wireBits: nil) },
                           consume: { i, r in local.put(replicaIndices[i], r) })
        }
        for (i, entry) in plan.tasks.enumerated() {
            guard case .user(let user) = entry.task.role else { continue }
            progress.userTasks[user] = i
        }
        progress.queued = progress.userTasks.sorted(by: { $0.value < $1.value }).map { (task: $0.value, user: $0.key) }
        round = progress
        dispatchQueued()
        let dispatched = round!.userTasks.count - round!.missing.count - round!.queued.filter { userPeers[$0.user] == nil }.count
        let quorum = Int((Double(round!.userTasks.count) * options.quorum).rounded(.up))
        let started = Date()
        var localMerged = false
        if dispatched < round!.userTasks.count {
            log("round \(plan.round): \(round!.userTasks.count - dispatched) sampled user(s) not connected")
        }
        while true {
            try pump(timeout: 0.02)
            dispatchQueued()
            if !localMerged, group.wait(timeout: .now()) == .success {
                for (i, r) in local.take() { round!.results[i] = r }
                localMerged = true
            }
            fold()
            let waited = Date().timeIntervalSince(started)
            // Close when every dispatched task has answered (users not connected are not waited
            // for) with a quorum, or at the deadline once a quorum has answered.
            let pastDeadline = waited > options.roundDeadline
            if localMerged && round!.answered >= quorum && ((round!.queued.isEmpty && round!.outstanding.isEmpty) || pastDeadline) {
                // At the deadline, tasks never sent (flow control) are left out like stragglers.
                for q in round!.queued { round!.missing.insert(q.task); statistics.stragglers += 1 }
                round!.queued = []
                let late = round!.outstanding.keys.sorted()
                if !late.isEmpty {
                    log("round \(plan.round): deadline passed, \(late.count) straggler(s) left out (users \(late.map { plan.tasks[$0].task.clientID }))")
                }
                for i in late { round!.outstanding[i] = nil; round!.missing.insert(i); statistics.stragglers += 1 }
                close()
                break
            }
            if waited > options.roundTimeout {
                throw TransportError.timeout(waitingFor: "a quorum of \(quorum) updates in round \(plan.round) (\(round!.answered) arrived)", seconds: options.roundTimeout)
            }
        }
        let aggregator = round!.aggregator
        round = nil
        return simulator.finishRound(state, aggregator: aggregator)
    }

    /// Folds the results available at the head of the task order (streaming: memory holds only
    /// results that arrived ahead of an earlier one).
    func fold() {
        guard var r = round else { return }
        while r.aggregator.next < r.plan.tasks.count, let result = r.results.removeValue(forKey: r.aggregator.next) {
            r.aggregator.add(r.aggregator.next, result)
        }
        round = r
    }

    /// Folds what remains at the round's close, skipping the tasks that produced nothing.
    func close() {
        guard var r = round else { return }
        while r.aggregator.next < r.plan.tasks.count {
            let i = r.aggregator.next
            if let result = r.results.removeValue(forKey: i) { r.aggregator.add(i, result) } else { r.aggregator.skip(i) }
        }
        round = r
    }

    /// Sends queued user tasks while fewer than `maxInFlight` are outstanding.
    func dispatchQueued() {
        while let r = round, !r.queued.isEmpty, options.maxInFlight == 0 || r.outstanding.count < options.maxInFlight {
            let next = round!.queued.removeFirst()
            dispatch(task: next.task, user: next.user)
        }
    }

    /// Sends task `i` to the client of `user`, or records it missing when that user is not connected.
    func dispatch(task i: Int, user: Int) {
        guard var r = round else { return }
        guard let identity = userPeers[user] else {
            r.missing.insert(i)
            round = r
            return
        }
        let task = r.plan.tasks[i].task
        let group = r.plan.tasks[i].group
        let tensorFrame: SharedFrame
        if let cached = r.tensorFrames[group] {
            tensorFrame = cached
        } else {
            // A quantized downlink sends the group's quantized parameters (the task starts from
            // exactly their dequantized values); buffers always travel as float32.
            let parameters = r.plan.downlink[group].map { q in
                zip(task.start.parameters.names, q).map { WireTensor(name: $0.0, payload: .quantized($0.1)) }
            } ?? WireTensors.from(task.start.parameters)
            tensorFrame = SharedFrame(WireTensors.encode(parameters + WireTensors.from(task.start.buffers)))
            r.tensorFrames[group] = tensorFrame
        }
        let fit = FitInstruction(user: Int32(user), firstStep: UInt64(task.firstStep), taskKey: task.key.rawValue, wireKey: r.plan.wireKey.rawValue,
                                 wireBits: UInt8(r.plan.wireBits?.rawValue ?? 0), deadlineMillis: UInt32(min(options.roundDeadline * 1000, Double(UInt32.max))),
                                 parameterCount: UInt32(task.start.parameters.count), tensors: [])
        let frames = Message.fit(fit).frames(header: header(round: r.plan.round))
        r.outstanding[i] = identity
        round = r
        statistics.bytesOut += frames[0].count + frames[1].count + tensorFrame.count
        var sent = false
        do { sent = try socket.send([identity, frames[0], frames[1]], shared: tensorFrame) } catch { log("send failed: \(error)") }
        if !sent {
            round!.outstanding[i] = nil
            round!.missing.insert(i)
            dropPeer(identity, reason: "unreachable")
        }
    }

    // MARK: Messages

    func header(round: Int = 0) -> FrameHeader {
        sequence += 1
        return FrameHeader(kind: .heartbeat, round: UInt32(round), sequence: sequence, runTag: runTag)
    }

    @discardableResult
    func sendFrames(_ frames: [[UInt8]], to identity: [UInt8]) -> Bool {
        statistics.bytesOut += frames.reduce(0) { $0 + $1.count }
        do { return try socket.send([identity] + frames) } catch {
            log("send failed: \(error)")
            return false
        }
    }

    @discardableResult
    func send(_ message: Message, to identity: [UInt8], round: Int = 0) -> Bool {
        sendFrames(message.frames(header: header(round: round)), to: identity)
    }

    /// Serves every message that arrives within `timeout` seconds (at least one poll).
    func pump(timeout: Double) throws {
        var wait: Double? = timeout
        while let received = try socket.receive(timeout: wait, maxFrames: 5) {
            wait = 0
            handle(received.frames, extraFrames: received.extraFrames)
        }
        expireSilentPeers()
    }

    func handle(_ frames: [[UInt8]], extraFrames: Int) {
        guard let identity = frames.first else { return }
        statistics.messagesIn += 1
        statistics.bytesIn += frames.reduce(0) { $0 + $1.count }
        if blocked.contains(identity) { return }
        let decoded: (FrameHeader, Message)
        do {
            if extraFrames > 0 { throw ProtocolError.frameCount(got: frames.count - 1 + extraFrames, expected: "2 or 3") }
            // Only registered clients may make the server decode a tensor frame.
            if frames.count > 3, peers[identity] == nil, let head = try? FrameHeader.decode(frames[1]) {
                statistics.rejected += 1
                send(.reject(code: .notRegistered, reason: "\(head.kind) from an unregistered client: send hello first"), to: identity)
                return
            }
            decoded = try Message.decode(Array(frames.dropFirst()), limits: options.limits)
        } catch ProtocolError.unsupportedVersion(let found, let supported) {
            statistics.rejected += 1
            log("rejecting a client speaking protocol version \(found)")
            send(.reject(code: .versionMismatch, reason: "protocol version \(found) is not supported: this server speaks version \(supported)"), to: identity)
            return
        } catch {
            malformed(identity, "\(error)")
            return
        }
        let (head, message) = decoded
        if var peer = peers[identity] {
            peer.lastSeen = Date()
            peers[identity] = peer
        }
        switch message {
        case .hello(let hello): register(identity, hello)
        case .heartbeat:
            if peers[identity] == nil {
                send(.reject(code: .notRegistered, reason: "not registered: send hello"), to: identity)
            } else {
                send(.heartbeat, to: identity)
            }
        case .update(let update): receiveUpdate(identity, head, update)
        case .bye(let reason):
            log("client \(peers[identity]?.name ?? "?") left: \(reason)")
            dropPeer(identity, reason: "said bye")
        case .error(let code, let text):
            log("client \(peers[identity]?.name ?? "?") reported error \(code): \(text)")
            // A client that cannot train this round's task: leave it out now rather than at the deadline.
            if let peer = peers[identity], var r = round, Int(head.round) == r.plan.round, let i = r.userTasks[peer.user], r.outstanding[i] == identity {
                r.outstanding[i] = nil
                r.missing.insert(i)
                round = r
            }
        default:
            malformed(identity, "unexpected \(message.kind) message from a client")
        }
    }

    func malformed(_ identity: [UInt8], _ reason: String) {
        statistics.malformed += 1
        let count = malformedByIdentity[identity, default: 0] + 1
        malformedByIdentity[identity] = count
        let who = peers[identity].map { "client \($0.clientID) (\($0.name))" } ?? "unregistered peer"
        if count <= 3 { log("dropped a malformed message from \(who): \(reason)") }
        if count <= options.maxMalformedPerPeer {
            send(.error(code: 400, message: reason), to: identity)
        } else {
            log("\(who) sent \(count) malformed messages: disconnected")
            send(.bye(reason: "too many malformed messages"), to: identity)
            dropPeer(identity, reason: "malformed traffic")
            blocked.insert(identity)
        }
    }

    func register(_ identity: [UInt8], _ hello: Hello) {
        let config = simulator.config
        if config.objective != .supervised && !hello.capabilities.contains(.ssfl) {
            statistics.rejected += 1
            send(.reject(code: .missingCapability, reason: "this run trains users with the \(config.objective.rawValue) objective; the client lacks the ssfl capability"), to: identity)
            return
        }
        if let bits = simulator.planWireBits, !hello.capabilities.contains(bits == .int8 ? .wireInt8 : .wireInt4) {
            statistics.rejected += 1
            send(.reject(code: .missingCapability, reason: "this run's uplink is int\(bits.rawValue); the client cannot quantize to it"), to: identity)
            return
        }
        var user = Int(hello.user)
        if let existing = peers[identity] {
            // A second hello on a registered connection (a retry): same user unless it asks for another.
            if user < 0 || user == existing.user {
                user = existing.user
            } else if userPeers[existing.user] == identity {
                userPeers[existing.user] = nil
                moveOutstanding(from: identity, to: [])
            }
        }
        if user < 0 {
            guard let free = (0..<config.users).first(where: { userPeers[$0] == nil }) else {
                statistics.rejected += 1
                send(.reject(code: .unknownUser, reason: "all \(config.users) user slots are taken"), to: identity)
                return
            }
            user = free
        }
        guard user < config.users else {
            statistics.rejected += 1
            send(.reject(code: .unknownUser, reason: "user \(user) does not exist: the run has K = \(config.users) users"), to: identity)
            return
        }
        if let old = userPeers[user], old != identity {
            // The same user again: a restarted or reconnected client replaces its old session.
            log("user \(user) re-registered (\(hello.name)); replacing its previous connection")
            moveOutstanding(from: old, to: identity)
            peers[old] = nil
        }
        let id = peers[identity]?.clientID ?? nextClientID
        if peers[identity] == nil { nextClientID += 1 }
        peers[identity] = Peer(clientID: id, user: user, name: hello.name, lastSeen: Date(), capabilities: hello.capabilities)
        userPeers[user] = identity
        malformedByIdentity[identity] = nil
        send(.welcome(Welcome(clientID: id, runID: simulator.runID, config: config.sourceYAML, heartbeatMillis: options.heartbeatMillis)), to: identity)
        log("client \(id) registered: \(hello.name) as user \(user), \(hello.examples) examples, \(hello.software)")
        // A task this user still owes goes to the new connection.
        if let r = round, let i = r.userTasks[user], r.outstanding[i] == nil, r.results[i] == nil, r.missing.contains(i) {
            round!.missing.remove(i)
            dispatch(task: i, user: user)
        }
    }

    func moveOutstanding(from old: [UInt8], to new: [UInt8]) {
        guard var r = round else { return }
        for (i, identity) in r.outstanding where identity == old {
            r.outstanding[i] = nil
            r.missing.insert(i)
        }
        round = r
    }

    func receiveUpdate(_ identity: [UInt8], _ head: FrameHeader, _ update: UpdateMessage) {
        guard let peer = peers[identity] else {
            send(.reject(code: .notRegistered, reason: "not registered: send hello"), to: identity)
            return
        }
        guard head.runTag == runTag else {
            malformed(identity, "update for another run (run tag \(head.runTag), this run's is \(runTag))")
            return
        }
        guard var r = round, Int(head.round) == r.plan.round, let i = r.userTasks[peer.user], r.outstanding[i] == identity else {
            log("ignored an update from client \(peer.clientID) for round \(head.round) (no task outstanding)")
            return
        }
        guard update.user == Int32(peer.user) else {
            malformed(identity, "update for user \(update.user) from the client of user \(peer.user)")
            return
        }
        let task = r.plan.tasks[i].task
        let parameters: ParameterSet
        var bytes = 0
        do {
            if update.isDelta {
                guard let bits = r.plan.wireBits else { throw ProtocolError.modelMismatch("quantized delta on a float32 run") }
                let deltas = try update.tensors.enumerated().map { k, t -> QuantizedTensor in
                    guard k < task.start.parameters.count, t.name == task.start.parameters.names[k] else {
                        throw ProtocolError.modelMismatch("delta \(k) is \(t.name)")
                    }
                    guard case .quantized(let q) = t.payload, q.bits == bits, q.shape == task.start.parameters.tensors[k].shape else {
                        throw ProtocolError.modelMismatch("delta \(t.name) is not int\(bits.rawValue) of shape \(task.start.parameters.tensors[k].shape)")
                    }
                    bytes += q.byteCount
                    return q
                }
                guard deltas.count == task.start.parameters.count else {
                    throw ProtocolError.modelMismatch("\(deltas.count) deltas, the model has \(task.start.parameters.count) parameters")
                }
                parameters = Simulator.reconstruct(start: task.start.parameters, deltas: deltas)
            } else {
                parameters = try WireTensors.parameterSet(update.tensors, matching: template.parameters, what: "update")
                bytes = parameters.scalarCount * 4
            }
        } catch {
            malformed(identity, "\(error)")
            return
        }
        // Values from the network: a weight or a time that is not a sane number is malformed, and a
        // quantized delta can still dequantize to infinity (huge scales).
        guard update.examples <= 1 << 53, update.seconds.isFinite, update.seconds >= 0 else {
            malformed(identity, "update with examples \(update.examples) and seconds \(update.seconds)")
            return
        }
        if let bad = zip(parameters.names, parameters.tensors).first(where: { !$0.1.doubles.allSatisfy(\.isFinite) })?.0 {
            malformed(identity, "\(ProtocolError.nonFinite(tensor: bad))")
            return
        }
        statistics.updates += 1
        r.outstanding[i] = nil
        r.answered += 1
        r.results[i] = TaskResult(update: ClientUpdate(client: peer.user, parameters: parameters, examples: Int(update.examples), metrics: update.metrics),
                                  buffers: ParameterSet(), seconds: update.seconds, uplinkBytes: bytes)
        round = r
    }

    func dropPeer(_ identity: [UInt8], reason: String) {
        guard let peer = peers.removeValue(forKey: identity) else { return }
        statistics.disconnected += 1
        if userPeers[peer.user] == identity { userPeers[peer.user] = nil }
        if var r = round {
            for (i, owner) in r.outstanding where owner == identity {
                r.outstanding[i] = nil
                r.missing.insert(i)
                log("round \(r.plan.round): user \(peer.user) dropped (\(reason)); its update is left out")
            }
            round = r
        }
    }

    /// Drops registered clients that owe no update and were silent for ten heartbeat intervals or a
    /// round deadline, whichever is longer: a server busy folding many updates reads heartbeats
    /// late, and a dead TCP peer is noticed sooner anyway (ZeroMQ heartbeats, failing sends).
    func expireSilentPeers() {
        let limit = max(10 * Double(options.heartbeatMillis) / 1000, options.roundDeadline)
        let now = Date()
        for (identity, peer) in peers where now.timeIntervalSince(peer.lastSeen) > limit {
            if let r = round, r.outstanding.values.contains(identity) { continue }
            log("client \(peer.clientID) (\(peer.name)) silent for \(Int(limit)) s: dropped")
            dropPeer(identity, reason: "silent")
        }
    }
}

/// Results of the server replicas, filled by the background training queue.
final class LocalResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [(Int, TaskResult)] = []
    func put(_ i: Int, _ r: TaskResult) { lock.withLock { results.append((i, r)) } }
    func take() -> [(Int, TaskResult)] { lock.withLock { defer { results = [] }; return results } }
}

extension Simulator {
    /// The quantized uplink's bits, or nil for float32.
    var planWireBits: QuantizedTensor.Bits? {
        config.wire == "int8" ? .int8 : (config.wire == "int4" ? .int4 : nil)
    }
}
