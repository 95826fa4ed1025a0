import ArgumentParser
import FoedusZMQ
import Foundation

/// Connection flags shared by `client` and `pool`.
struct ConnectFlags: ParsableArguments {
    @Option(help: "Server endpoint: tcp://HOST:5555 or ipc:///path.") var connect: String
    @Option(help: "CURVE: the server's public key file.") var curveServerKey: String?
    @Option(help: "CURVE: this client's secret key file (from foedus keygen).") var curveKey: String?
    @Option(help: "Stop after this many seconds without reaching the server.") var giveUpAfter: Double = 600
    @Option(help: "Threads training tasks.") var workers: Int = 1

    func validate() throws {
        if (curveServerKey == nil) != (curveKey == nil) { throw ValidationError("CURVE needs both --curve-server-key and --curve-key") }
        if workers < 1 { throw ValidationError("--workers must be positive") }
    }

    func options(name: String, echo: Bool = false) throws -> ClientOptions {
        var curve: (serverPublicKey: String, keys: CurveKeyPair)?
        if let curveServerKey, let curveKey {
            let keys = try CurveKeyPair.read(curveKey)
            guard !keys.secretKey.isEmpty else { throw TransportError.badKey(source: curveKey, reason: "no secret-key line (pass the .key_secret file)") }
            curve = (try CurveKeyPair.read(curveServerKey).publicKey, keys)
        }
        return ClientOptions(endpoint: connect, name: name, curve: curve, giveUpAfter: giveUpAfter, workers: workers, echo: echo)
    }
}

struct Client: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an edge client: register with a foedus server, train what it asks on local data, send updates.",
        discussion: "Local data is either user i of the run's own partition (--partition i/K, for demos) or an IDX image file (--data).")

    @OptionGroup var connection: ConnectFlags
    @Option(help: "Stand for user i of K of the run's partition of its dataset: --partition 3/10.") var partition: String?
    @Option(help: "Local images: an IDX file (optionally .gz) of the run's image geometry.") var data: String?
    @Option(help: "Labels for --data (IDX), needed when users train with labels.") var labels: String?
    @Option(help: "Name reported to the server.") var name: String = ProcessInfo.processInfo.hostName
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func validate() throws {
        if (partition == nil) == (data == nil) { throw ValidationError("give --partition i/K or --data FILE (one of them)") }
        if labels != nil && data == nil { throw ValidationError("--labels needs --data") }
    }

    func run() throws {
        let (user, clientData) = try Client.parseData(partition: partition, data: data, labels: labels)
        let quiet = self.quiet
        let runtime = try ClientRuntime(options: try connection.options(name: name), clients: [(user, clientData)]) { line in
            if !quiet { Log.stderr("foedus client: \(line)") }
        }
        let summary = try runtime.run()
        if json { try printJSON(["command": "client", "tasks": summary.tasks, "bytes_in": summary.bytesIn, "bytes_out": summary.bytesOut, "reconnects": summary.reconnects]) }
    }

    static func parseData(partition: String?, data: String?, labels: String?) throws -> (Int32, ClientData) {
        if let partition {
            let parts = partition.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let k = Int(parts[1]), k > 0, (0..<k).contains(i) else {
                throw ValidationError("--partition '\(partition)': expected i/K with 0 ≤ i < K")
            }
            return (Int32(i), .partition(user: i))
        }
        return (-1, .files(images: data!, labels: labels))
    }
}

struct Pool: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host many virtual clients in one process (one connection each), users --first-user … --first-user + N − 1.",
        discussion: "Spreads a large simulation over machines: run one pool per machine against the same foedus server.")

    @OptionGroup var connection: ConnectFlags
    @Option(help: "Virtual clients in this process.") var clients: Int
    @Option(help: "User index of the first client (the others follow).") var firstUser: Int = 0
    @Option(help: "Name prefix reported to the server.") var name: String = "pool"
    @Flag(help: "Benchmark mode: answer each fit with the start model, without training.") var echo = false
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func validate() throws {
        if clients < 1 { throw ValidationError("--clients must be positive") }
        if firstUser < 0 { throw ValidationError("--first-user must be ≥ 0") }
    }

    func run() throws {
        let quiet = self.quiet
        let members = (0..<clients).map { (Int32(firstUser + $0), ClientData.partition(user: firstUser + $0)) }
        let runtime = try ClientRuntime(options: try connection.options(name: name, echo: echo), clients: members.map { (user: $0.0, data: $0.1) }) { line in
            if !quiet { Log.stderr("foedus pool: \(line)") }
        }
        let summary = try runtime.run()
        if json {
            try printJSON(["command": "pool", "clients": clients, "tasks": summary.tasks, "bytes_in": summary.bytesIn, "bytes_out": summary.bytesOut,
                           "reconnects": summary.reconnects])
        }
    }
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.key (public, give it to the other side) and NAME.key_secret (keep it).")

    @Option(help: "Path prefix of the key files.") var out: String
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func run() throws {
        let pair = try CurveKeyPair.generate()
        try pair.write(to: out)
        Log.stderr("wrote \(out).key (public) and \(out).key_secret (secret, mode 600)")
        if json { try printJSON(["command": "keygen", "public_key": pair.publicKey, "public_file": out + ".key", "secret_file": out + ".key_secret"]) }
    }
}
