import CZeroMQ
import Foundation

/// A CURVE key pair in Z85 text (40 characters each), as `foedus keygen` writes it.
public struct CurveKeyPair: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    /// A fresh key pair from libzmq (libsodium's randomness).
    public static func generate() throws -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQ.lastError("zmq_curve_keypair (libzmq built without CURVE?)") }
        return CurveKeyPair(publicKey: ZMQ.text(pub), secretKey: ZMQ.text(sec))
    }

    /// Checks a Z85 key: 40 characters of the Z85 alphabet.
    public static func validate(_ key: String, source: String) throws -> String {
        let k = key.trimmingCharacters(in: .whitespacesAndNewlines)
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        guard k.count == 40 else { throw TransportError.badKey(source: source, reason: "\(k.count) characters, a Z85 CURVE key has 40") }
        guard k.allSatisfy({ alphabet.contains($0) }) else { throw TransportError.badKey(source: source, reason: "characters outside the Z85 alphabet") }
        return k
    }

    /// Writes `NAME.key` (public) and `NAME.key_secret` (secret and public), mode 0600 for the secret.
    public func write(to base: String) throws {
        try "public-key = \(publicKey)\n".write(toFile: base + ".key", atomically: true, encoding: .utf8)
        let secretPath = base + ".key_secret"
        try "public-key = \(publicKey)\nsecret-key = \(secretKey)\n".write(toFile: secretPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
    }

    /// Reads a key file written by ``write(to:)``: `NAME.key_secret` gives both keys, `NAME.key`
    /// only the public one (secretKey empty).
    public static func read(_ path: String) throws -> CurveKeyPair {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TransportError.badKey(source: path, reason: "cannot read the file") }
        var pub: String?, sec: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "public-key" { pub = try validate(parts[1], source: path) }
            if parts[0] == "secret-key" { sec = try validate(parts[1], source: path) }
        }
        guard let pub else { throw TransportError.badKey(source: path, reason: "no public-key line") }
        return CurveKeyPair(publicKey: pub, secretKey: sec ?? "")
    }
}

/// Answers ZeroMQ's authentication (ZAP) requests for CURVE: a client whose public key is not on
/// the allow-list is refused during the handshake and never receives a message.
public final class CurveAuthenticator: @unchecked Sendable {
    private let socket: ZMQSocket
    private let allowed: Set<[UInt8]>
    private let lock = NSLock()
    private var running = true
    private var thread: Thread?
    /// Handshakes refused so far.
    public private(set) var refused = 0

    /// - Parameter allowedPublicKeys: Z85 public keys of the clients allowed in.
    public init(context: ZMQContext, allowedPublicKeys: [String]) throws {
        socket = try ZMQSocket(context, .rep)
        try socket.bind("inproc://zeromq.zap.01")
        allowed = Set(try allowedPublicKeys.map { key -> [UInt8] in
            var out = [UInt8](repeating: 0, count: 32)
            guard zmq_z85_decode(&out, key) != nil else { throw TransportError.badKey(source: "allow-list", reason: "cannot decode \(key)") }
            return out
        })
        let t = Thread { [unowned self] in self.loop() }
        thread = t
        t.start()
    }

    func loop() {
        while lock.withLock({ running }) {
            guard let request = try? socket.receive(timeout: 0.1, maxFrames: 10)?.frames else { continue }
            // ZAP 1.0 request: version, request id, domain, address, identity, mechanism, credentials.
            guard request.count >= 6 else { continue }
            let requestID = request[1]
            let mechanism = String(decoding: request[5], as: UTF8.self)
            let ok = mechanism == "CURVE" && request.count >= 7 && allowed.contains(request[6])
            if !ok { lock.withLock { refused += 1 } }
            let reply: [[UInt8]] = [Array("1.0".utf8), requestID, Array((ok ? "200" : "400").utf8),
                                    Array((ok ? "OK" : "key not on the allow-list").utf8), [], []]
            _ = try? socket.send(reply)
        }
        socket.close()
    }

    public func stop() {
        lock.withLock { running = false }
        while thread?.isFinished == false { usleep(10_000) }
    }

    deinit { stop() }
}
