/// Client capabilities announced in `hello` (bit flags).
public struct Capabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Can train with the SSFL objectives (CRL, SF) on unlabeled data.
    public static let ssfl = Capabilities(rawValue: 1 << 0)
    /// Can ship int8 quantized deltas.
    public static let wireInt8 = Capabilities(rawValue: 1 << 1)
    /// Can ship int4 quantized deltas.
    public static let wireInt4 = Capabilities(rawValue: 1 << 2)
    /// Can evaluate a model on local data.
    public static let evaluate = Capabilities(rawValue: 1 << 3)
    public static let all: Capabilities = [.ssfl, .wireInt8, .wireInt4, .evaluate]
}

/// Registration: the first message of a client.
public struct Hello: Sendable, Equatable {
    /// Free-form client name (logged; at most 256 bytes).
    public var name: String
    /// The user index this client's data stands for (the simulator's user id), or −1.
    public var user: Int32
    /// Software version string (e.g. `foedus 0.4.0`).
    public var software: String
    public var capabilities: Capabilities
    /// Local training examples.
    public var examples: UInt64

    public init(name: String, user: Int32, software: String, capabilities: Capabilities, examples: UInt64) {
        self.name = name
        self.user = user
        self.software = software
        self.capabilities = capabilities
        self.examples = examples
    }
}

/// The server accepts a client: its id and the run's effective configuration.
public struct Welcome: Sendable, Equatable {
    public var clientID: UInt32
    public var runID: String
    /// The run's effective YAML configuration (the client derives data, model and objective from it).
    public var config: String
    /// How often the client must show life (heartbeat) when idle.
    public var heartbeatMillis: UInt32

    public init(clientID: UInt32, runID: String, config: String, heartbeatMillis: UInt32) {
        self.clientID = clientID
        self.runID = runID
        self.config = config
        self.heartbeatMillis = heartbeatMillis
    }
}

/// Why the server refused a client or a message.
public enum RejectCode: UInt16, Sendable {
    case versionMismatch = 1, unknownUser = 2, duplicateUser = 3, missingCapability = 4, runFinished = 5, malformed = 6, notRegistered = 7
}

/// One local-training task: train `localSteps` steps from the start model (tensor frame:
/// parameters then buffers) with the given keys, answer before the deadline.
public struct FitInstruction: Sendable, Equatable {
    public var user: Int32
    /// Global step of the first local step (drives the learning-rate schedule).
    public var firstStep: UInt64
    /// Root random key of the task (batch order, augmentation).
    public var taskKey: UInt64
    /// Root key of the stochastic rounding of a quantized uplink.
    public var wireKey: UInt64
    /// 0 (float32 uplink), 8 or 4 (quantized deltas).
    public var wireBits: UInt8
    public var deadlineMillis: UInt32
    /// How many of the tensors are parameters (the rest are normalisation buffers).
    public var parameterCount: UInt32
    public var tensors: [WireTensor]

    public init(user: Int32, firstStep: UInt64, taskKey: UInt64, wireKey: UInt64, wireBits: UInt8, deadlineMillis: UInt32, parameterCount: UInt32, tensors: [WireTensor]) {
        self.user = user
        self.firstStep = firstStep
        self.taskKey = taskKey
        self.wireKey = wireKey
        self.wireBits = wireBits
        self.deadlineMillis = deadlineMillis
        self.parameterCount = parameterCount
        self.tensors = tensors
    }
}

/// A client's answer to a fit instruction.
public struct UpdateMessage: Sendable, Equatable {
    public var user: Int32
    public var examples: UInt64
    public var seconds: Double
    public var metrics: [String: Double]
    /// True when the tensors are quantized deltas from the start model, false for float32 parameters.
    public var isDelta: Bool
    public var tensors: [WireTensor]

    public init(user: Int32, examples: UInt64, seconds: Double, metrics: [String: Double], isDelta: Bool, tensors: [WireTensor]) {
        self.user = user
        self.examples = examples
        self.seconds = seconds
        self.metrics = metrics
        self.isDelta = isDelta
        self.tensors = tensors
    }
}

/// A client's evaluation of a model on its local (labeled) data.
public struct EvaluationResult: Sendable, Equatable {
    public var examples: UInt64
    public var loss: Double
    public var accuracy: Double

    public init(examples: UInt64, loss: Double, accuracy: Double) {
        self.examples = examples
        self.loss = loss
        self.accuracy = accuracy
    }
}

/// Every Foedus message body.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case reject(code: RejectCode, reason: String)
    case fit(FitInstruction)
    case update(UpdateMessage)
    /// Evaluate the model in the tensor frame (parameters, then buffers).
    case evaluate(parameterCount: UInt32, tensors: [WireTensor])
    case evaluation(EvaluationResult)
    case heartbeat
    case bye(reason: String)
    case error(code: UInt16, message: String)

    public var kind: MessageKind {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .reject: return .reject
        case .fit: return .fit
        case .update: return .update
        case .evaluate: return .evaluate
        case .evaluation: return .evaluation
        case .heartbeat: return .heartbeat
        case .bye: return .bye
        case .error: return .error
        }
    }
}

/// Size limits a receiver enforces before it allocates.
public struct WireLimits: Sendable, Equatable {
    /// Largest body frame (bytes).
    public var maxBody: Int
    /// Largest tensor frame (bytes).
    public var maxTensorFrame: Int
    /// Largest element count of one tensor.
    public var maxScalars: Int

    /// - Precondition: every limit is positive; `maxScalars` is capped at 2⁶⁰ (byte counts stay in range).
    public init(maxBody: Int = 4 << 20, maxTensorFrame: Int = 1 << 30, maxScalars: Int = 1 << 28) {
        precondition(maxBody > 0 && maxTensorFrame > 0 && maxScalars > 0, "[WireLimits] limits must be positive")
        self.maxBody = maxBody
        self.maxTensorFrame = maxTensorFrame
        self.maxScalars = min(maxScalars, 1 << 60)
    }
}

extension Message {
    static let metricLimit = 256

    /// The message as ZeroMQ frames: header, body and, for fit, update and evaluate, a tensor frame.
    public func frames(header: FrameHeader) -> [[UInt8]] {
        var h = header
        h.kind = kind
        var w = ByteWriter()
        var tensorFrame: [UInt8]?
        switch self {
        case .hello(let m):
            w.string(m.name); w.i32(m.user); w.string(m.software); w.u32(m.capabilities.rawValue); w.u64(m.examples)
        case .welcome(let m):
            w.u32(m.clientID); w.string(m.runID); w.string(m.config); w.u32(m.heartbeatMillis)
        case .reject(let code, let reason):
            w.u16(code.rawValue); w.string(reason)
        case .fit(let m):
            w.i32(m.user); w.u64(m.firstStep); w.u64(m.taskKey); w.u64(m.wireKey); w.u8(m.wireBits); w.u32(m.deadlineMillis); w.u32(m.parameterCount)
            tensorFrame = WireTensors.encode(m.tensors)
        case .update(let m):
            w.i32(m.user); w.u64(m.examples); w.f64(m.seconds); w.u8(m.isDelta ? 1 : 0)
            let metrics = m.metrics.sorted { $0.key < $1.key }
            w.u32(UInt32(metrics.count))
            for (k, v) in metrics { w.string(k); w.f64(v) }
            tensorFrame = WireTensors.encode(m.tensors)
        case .evaluate(let count, let tensors):
            w.u32(count)
            tensorFrame = WireTensors.encode(tensors)
        case .evaluation(let m):
            w.u64(m.examples); w.f64(m.loss); w.f64(m.accuracy)
        case .heartbeat:
            break
        case .bye(let reason):
            w.string(reason)
        case .error(let code, let message):
            w.u16(code); w.string(message)
        }
        var out = [h.encoded(), w.bytes]
        if let tensorFrame { out.append(tensorFrame) }
        return out
    }

    /// Decodes a message from its frames (without the ROUTER identity frame).
    public static func decode(_ frames: [[UInt8]], limits: WireLimits = WireLimits()) throws -> (FrameHeader, Message) {
        guard let first = frames.first else { throw ProtocolError.frameCount(got: 0, expected: "2 or 3") }
        let header = try FrameHeader.decode(first)
        let needsTensors = [MessageKind.fit, .update, .evaluate].contains(header.kind)
        guard frames.count == (needsTensors ? 3 : 2) else {
            throw ProtocolError.frameCount(got: frames.count, expected: needsTensors ? "3 for \(header.kind)" : "2 for \(header.kind)")
        }
        let body = frames[1]
        guard body.count <= limits.maxBody else { throw ProtocolError.limitExceeded(field: "body", value: body.count, limit: limits.maxBody) }
        var tensors: [WireTensor] = []
        if needsTensors {
            guard frames[2].count <= limits.maxTensorFrame else {
                throw ProtocolError.limitExceeded(field: "tensor frame", value: frames[2].count, limit: limits.maxTensorFrame)
            }
            tensors = try WireTensors.decode(frames[2], maxScalars: limits.maxScalars)
        }
        var r = ByteReader(body)
        let message: Message
        switch header.kind {
        case .hello:
            let name = try r.string("hello.name", limit: 256)
            let user = try r.i32("hello.user")
            let software = try r.string("hello.software", limit: 256)
            let caps = Capabilities(rawValue: try r.u32("hello.capabilities"))
            let examples = try r.u64("hello.examples")
            message = .hello(Hello(name: name, user: user, software: software, capabilities: caps, examples: examples))
        case .welcome:
            let id = try r.u32("welcome.client_id")
            let run = try r.string("welcome.run_id", limit: 1024)
            let config = try r.string("welcome.config", limit: 1 << 20)
            let heartbeat = try r.u32("welcome.heartbeat_ms")
            message = .welcome(Welcome(clientID: id, runID: run, config: config, heartbeatMillis: heartbeat))
        case .reject:
            let at = r.offset
            let raw = try r.u16("reject.code")
            guard let code = RejectCode(rawValue: raw) else { throw ProtocolError.invalidField(field: "reject.code", offset: at, reason: "unknown code \(raw)") }
            message = .reject(code: code, reason: try r.string("reject.reason", limit: 4096))
        case .fit:
            let user = try r.i32("fit.user")
            let first = try r.u64("fit.first_step")
            let key = try r.u64("fit.task_key")
            let wireKey = try r.u64("fit.wire_key")
            let bitsAt = r.offset
            let bits = try r.u8("fit.wire_bits")
            guard [0, 4, 8].contains(bits) else { throw ProtocolError.invalidField(field: "fit.wire_bits", offset: bitsAt, reason: "\(bits) (expected 0, 4 or 8)") }
            let deadline = try r.u32("fit.deadline_ms")
            let countAt = r.offset
            let count = try r.u32("fit.parameter_count")
            guard Int(count) <= tensors.count else {
                throw ProtocolError.invalidField(field: "fit.parameter_count", offset: countAt, reason: "\(count) parameters but \(tensors.count) tensors")
            }
            message = .fit(FitInstruction(user: user, firstStep: first, taskKey: key, wireKey: wireKey, wireBits: bits, deadlineMillis: deadline,
                                          parameterCount: count, tensors: tensors))
        case .update:
            let user = try r.i32("update.user")
            let examples = try r.u64("update.examples")
            let seconds = try r.f64("update.seconds")
            let deltaAt = r.offset
            let delta = try r.u8("update.is_delta")
            guard delta <= 1 else { throw ProtocolError.invalidField(field: "update.is_delta", offset: deltaAt, reason: "\(delta) (expected 0 or 1)") }
            let n = Int(try r.u32("update.metric_count"))
            guard n <= metricLimit else { throw ProtocolError.limitExceeded(field: "update.metric_count", value: n, limit: metricLimit) }
            var metrics: [String: Double] = [:]
            for i in 0..<n {
                let k = try r.string("update.metric[\(i)].name", limit: 256)
                metrics[k] = try r.f64("update.metric[\(i)].value")
            }
            message = .update(UpdateMessage(user: user, examples: examples, seconds: seconds, metrics: metrics, isDelta: delta == 1, tensors: tensors))
        case .evaluate:
            let countAt = r.offset
            let count = try r.u32("evaluate.parameter_count")
            guard Int(count) <= tensors.count else {
                throw ProtocolError.invalidField(field: "evaluate.parameter_count", offset: countAt, reason: "\(count) parameters but \(tensors.count) tensors")
            }
            message = .evaluate(parameterCount: count, tensors: tensors)
        case .evaluation:
            message = .evaluation(EvaluationResult(examples: try r.u64("evaluation.examples"), loss: try r.f64("evaluation.loss"),
                                                   accuracy: try r.f64("evaluation.accuracy")))
        case .heartbeat:
            message = .heartbeat
        case .bye:
            message = .bye(reason: try r.string("bye.reason", limit: 4096))
        case .error:
            message = .error(code: try r.u16("error.code"), message: try r.string("error.message", limit: 4096))
        }
        try r.expectEnd(header.kind.description)
        return (header, message)
    }
}
