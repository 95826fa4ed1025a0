import CZeroMQ
import Dispatch
import Foedus
import FoedusKernels
import Foundation

/// Runs one or many virtual clients (a `foedus client` is a runtime with one, a `foedus pool`
/// one with many). Each client has its own DEALER connection and session; one thread serves all
/// sockets, and fit instructions are trained on a shared set of worker threads. A client
/// registers, answers heartbeats, trains what the server asks, reconnects with exponential
/// backoff when the server goes away (and re-registers with a restarted server), and stops when
/// the server says bye.
public final class ClientRuntime: @unchecked Sendable {
    public let options: ClientOptions
    let log: @Sendable (String) -> Void
    let context: ZMQContext
    var sessions: [Session]
    var contexts: [String: TrainingContext] = [:]
    let outbox = Outbox()
    let queue: DispatchQueue
    let slots: DispatchSemaphore
    public private(set) var summary = ClientSummary()

    final class Session {
        let index: Int
        let user: Int32
        let data: ClientData
        var socket: ZMQSocket?
        var registered: Welcome?
        var sequence: UInt64 = 0
        var lastHeard = Date()
        var lastSent = Date.distantPast
        var helloSentAt: Date?
        var backoff: Double
        var retryAt = Date()
        var disconnectedSince: Date?
        var busy = false
        /// After a fit, the server may take up to its round deadline to read the answer: no
        /// reconnect (which would drop an update still queued) before this time.
        var patientUntil = Date.distantPast
        var finished = false
        var failure: Error?

        init(index: Int, user: Int32, data: ClientData, backoff: Double) {
            self.index = index
            self.user = user
            self.data = data
            self.backoff = backoff
        }
    }

    /// - Parameter clients: per virtual client, the user index it stands for (−1: let the server
    ///   choose) and its data.
    public init(options: ClientOptions, clients: [(user: Int32, data: ClientData)], log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.options = options
        self.log = log
        context = try ZMQContext()
        sessions = clients.enumerated().map { Session(index: $0.offset, user: $0.element.user, data: $0.element.data, backoff: options.backoffInitial) }
        queue = DispatchQueue(label: "foedus.client.train", attributes: .concurrent)
        slots = DispatchSemaphore(value: max(1, options.workers))
    }

    func connect(_ s: Session) throws {
        s.socket?.close()
        let socket = try ZMQSocket(context, .dealer)
        if let curve = options.curve {
            try socket.setString(ZMQ_CURVE_SERVERKEY, curve.serverPublicKey)
            try socket.setString(ZMQ_CURVE_PUBLICKEY, curve.keys.publicKey)
            try socket.setString(ZMQ_CURVE_SECRETKEY, curve.keys.secretKey)
        }
        try socket.setInt64(ZMQ_MAXMSGSIZE, Int64(max(options.limits.maxTensorFrame, options.limits.maxBody)))
        try socket.setInt(ZMQ_SNDHWM, 0)
        try socket.setInt(ZMQ_RCVHWM, 0)
        try socket.setInt(ZMQ_HEARTBEAT_IVL, 1000)
        try socket.setInt(ZMQ_HEARTBEAT_TIMEOUT, 10_000)
        try socket.setInt(ZMQ_RECONNECT_IVL, Int32(options.backoffInitial * 1000))
        try socket.setInt(ZMQ_RECONNECT_IVL_MAX, Int32(options.backoffMax * 1000))
        try socket.connect(options.endpoint)
        s.socket = socket
        s.registered = nil
        s.helloSentAt = nil
        s.lastHeard = Date()
    }

    /// Sends without blocking (a DEALER with no live connection would block forever); returns
    /// false when the message could not be queued.
    @discardableResult
    func send(_ s: Session, _ message: Message, round: Int = 0) -> Bool {
        guard let socket = s.socket else { return false }
        s.sequence += 1
        let tag = s.registered.map { FrameHeader.runTag($0.runID) } ?? 0
        let frames = message.frames(header: FrameHeader(kind: message.kind, round: UInt32(round), sequence: s.sequence, runTag: tag))
        do {
            guard try socket.send(frames, dontWait: true) else { return false }
        } catch {
            log("client \(s.index): send failed: \(error)")
            return false
        }
        summary.bytesOut += frames.reduce(0) { $0 + $1.count }
        s.lastSent = Date()
        return true
    }

    /// Sends frames encoded elsewhere (a worker), with this session's header in front.
    func sendEncoded(_ s: Session, kind: MessageKind, frames: [[UInt8]], round: Int) -> Bool {
        guard let socket = s.socket else { return false }
        s.sequence += 1
        let tag = s.registered.map { FrameHeader.runTag($0.runID) } ?? 0
        var all = frames
        all[0] = FrameHeader(kind: kind, round: UInt32(round), sequence: s.sequence, runTag: tag).encoded()
        do {
            guard try socket.send(all, dontWait: true) else { return false }
        } catch {
            log("client \(s.index): send failed: \(error)")
            return false
        }
        summary.bytesOut += all.reduce(0) { $0 + $1.count }
        s.lastSent = Date()
        return true
    }

    func hello(_ s: Session) {
        let name = sessions.count > 1 ? "\(options.name)/\(s.index)" : options.name
        send(s, .hello(Hello(name: name, user: s.user, software: "foedus \(FoedusVersion.string)", capabilities: .all, examples: 0)))
        s.helloSentAt = Date()
    }

    /// Serves until every client's session has ended (the server said bye, or refused it).
    /// - Throws: the first fatal error (a rejection, or no server for `giveUpAfter` seconds).
    public func run() throws -> ClientSummary {
        for s in sessions { try connect(s) }
        var items = [zmq_pollitem_t]()
        while sessions.contains(where: { !$0.finished }) {
            // Results of finished training go out from this thread (sockets are single-threaded).
            for (index, round, kind, frames) in outbox.take() {
                let s = sessions[index]
                if sendEncoded(s, kind: kind, frames: frames, round: round) {
                    s.busy = false
                    summary.tasks += 1
                } else {
                    // Not connected right now: keep the update and try again.
                    outbox.put(index, round, kind, frames)
                }
            }
            let now = Date()
            for s in sessions where !s.finished {
                if s.socket == nil {
                    if now >= s.retryAt { try connect(s) }
                    continue
                }
                let heartbeat = Double(s.registered?.heartbeatMillis ?? 2000) / 1000
                if s.registered == nil {
                    if s.helloSentAt.map({ now.timeIntervalSince($0) > max(1, heartbeat) }) ?? true { hello(s) }
                } else if !s.busy && now.timeIntervalSince(s.lastSent) >= heartbeat {
                    send(s, .heartbeat)
                }
                let silence = now.timeIntervalSince(s.lastHeard)
                guard !s.busy else { continue }
                // Silence is suspicious after 4 heartbeats (a dead TCP peer is noticed earlier by
                // ZeroMQ's own heartbeats, and a restarted server answers `notRegistered`); the
                // socket is only replaced after `reconnectAfter`, because a server folding a
                // thousand updates may be busy for many seconds without being gone.
                if s.disconnectedSince == nil && silence > 4 * heartbeat { s.disconnectedSince = s.lastHeard }
                if let limit = options.giveUpAfter, let since = s.disconnectedSince, now.timeIntervalSince(since) > limit {
                    s.finished = true
                    s.failure = TransportError.timeout(waitingFor: "the server at \(options.endpoint)", seconds: limit)
                    continue
                }
                if silence > max(4 * heartbeat, options.reconnectAfter) && now > s.patientUntil {
                    log("client \(s.index): no word from the server for \(Int(silence)) s; reconnecting in \(s.backoff) s")
                    s.socket?.close()
                    s.socket = nil
                    s.retryAt = now.addingTimeInterval(s.backoff)
                    s.backoff = min(options.backoffMax, s.backoff * 2)
                    summary.reconnects += 1
                }
            }
            let live = sessions.filter { $0.socket != nil && !$0.finished }
            items = live.map { zmq_pollitem_t(socket: $0.socket!.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
            let rc = items.isEmpty ? { usleep(20_000); return Int32(0) }() : zmq_poll(&items, Int32(items.count), 20)
            if rc < 0 && zmq_errno() != EINTR { throw ZMQ.lastError("zmq_poll") }
            guard rc > 0 else { continue }
            for (k, item) in items.enumerated() where item.revents & Int16(ZMQ_POLLIN) != 0 {
                let s = live[k]
                while let received = try s.socket?.receive(timeout: 0, maxFrames: 4) {
                    summary.bytesIn += received.frames.reduce(0) { $0 + $1.count }
                    try handle(s, received.frames, extra: received.extraFrames)
                    if s.socket == nil || s.finished { break }
                }
            }
        }
        for s in sessions { s.socket?.close() }
        if let failure = sessions.compactMap(\.failure).first { throw failure }
        return summary
    }

    func handle(_ s: Session, _ frames: [[UInt8]], extra: Int) throws {
        // A fit (megabytes of tensors) is decoded on a worker thread, so this thread keeps every
        // other session of a pool alive (heartbeats) meanwhile.
        if extra == 0, frames.count == 3, let head = try? FrameHeader.decode(frames[0]), head.kind == .fit {
            s.lastHeard = Date()
            s.disconnectedSince = nil
            s.backoff = options.backoffInitial
            guard let welcome = s.registered, let context = contexts[welcome.config], head.runTag == FrameHeader.runTag(welcome.runID) else {
                // A fit from a server that does not know us (restarted) or for another run: register again.
                hello(s)
                return
            }
            s.busy = true
            // The deadline is in the fit's body at offset 29 (after user, first step, two keys, wire bits).
            if frames[1].count >= 33 {
                let ms = frames[1][29..<33].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
                s.patientUntil = Date().addingTimeInterval(Double(ms) / 1000 + 5)
            }
            let round = Int(head.round), index = s.index, echo = options.echo, outbox = self.outbox, slots = self.slots
            let limits = options.limits, log = self.log
            queue.async {
                slots.wait()
                defer { slots.signal() }
                // As in the simulator's workers: kernels single-threaded, so results do not depend
                // on the machine's core count (and workers do not oversubscribe it).
                DNNLKernels.setIntraOpThreads(1)
                let reply: Message
                do {
                    guard case .fit(let fit) = try Message.decode(frames, limits: limits).1 else { return }
                    reply = .update(try context.train(fit, round: round, echo: echo))
                } catch {
                    log("client \(index): cannot train round \(round): \(error)")
                    reply = .error(code: 500, message: "training failed: \(error)")
                }
                outbox.put(index, round, reply.kind, reply.frames(header: FrameHeader(kind: reply.kind)))
            }
            return
        }
        let decoded: (FrameHeader, Message)
        do {
            if extra > 0 { throw ProtocolError.frameCount(got: frames.count + extra, expected: "2 or 3") }
            decoded = try Message.decode(frames, limits: options.limits)
        } catch {
            log("client \(s.index): dropped a malformed message from the server: \(error)")
            return
        }
        s.lastHeard = Date()
        s.disconnectedSince = nil
        s.backoff = options.backoffInitial
        let (head, message) = decoded
        switch message {
        case .welcome(let welcome):
            s.registered = welcome
            if contexts[welcome.config] == nil {
                log("client \(s.index): registered with run \(welcome.runID) as client \(welcome.clientID); loading its data and model")
                contexts[welcome.config] = try TrainingContext.make(configYAML: welcome.config, data: s.data, runID: welcome.runID)
            }
        case .reject(let code, let reason):
            if code == .notRegistered {
                // A restarted server forgot us: register again.
                s.registered = nil
                hello(s)
            } else {
                s.finished = true
                s.failure = TransportError.rejected(code: code.rawValue, reason: reason)
                log("client \(s.index): rejected: \(reason)")
            }
        case .fit:
            break  // handled above, before decoding
        case .heartbeat:
            break
        case .bye(let reason):
            log("client \(s.index): server ended the session: \(reason)")
            s.finished = true
            summary.finishedSessions += 1
        case .error(let code, let text):
            log("client \(s.index): server reported error \(code): \(text)")
        default:
            log("client \(s.index): ignored an unexpected \(message.kind) message")
        }
    }
}

/// Training results waiting for the socket thread.
final class Outbox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Int, MessageKind, [[UInt8]])] = []
    func put(_ index: Int, _ round: Int, _ kind: MessageKind, _ frames: [[UInt8]]) { lock.withLock { items.append((index, round, kind, frames)) } }
    func take() -> [(Int, Int, MessageKind, [[UInt8]])] { lock.withLock { defer { items = [] }; return items } }
}

/// The version string clients report in hello.
public enum FoedusVersion {
    public static let string = "0.5.0"
}
