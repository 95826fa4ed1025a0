import ArgumentParser
import Foedus
import FoedusStore
import FoedusZMQ
import Foundation

struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a federated run as a ZeroMQ deployment on this machine: a server and N client processes.",
        discussion: """
        The server runs in this process; each client is a `foedus client --partition i/K` process whose progress is streamed
        here with a [client i] prefix. All clients are stopped when the run ends. With the same config and seed the final
        weights are bit-identical to `foedus simulate`.
        """)

    @Argument(help: "The experiment config (simulations/*.yaml).") var config: String
    @Option(help: "Client processes to start (default: K, one per user).") var clients: Int?
    @Option(name: .customLong("set"), help: "Override a config field (repeatable).") var overrides: [String] = []
    @Option(help: "Endpoint the server binds (default: a free loopback TCP port).") var bind: String = "tcp://127.0.0.1:*"
    @Option(help: "Run database (default: FOEDUS_DB or runs/foedus.sqlite).") var db: String?
    @Option(help: "Run id (default: the config name and its hash).") var runID: String?
    @Option(help: "Write the final global model here (safetensors).") var out: String?
    @OptionGroup var flags: ServerFlags
    @Flag(help: "Print one JSON summary on stdout.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let cfg = try SimulationConfig.load(path: config, overrides: overrides)
        let count = clients ?? cfg.users
        guard (1...cfg.users).contains(count) else { throw ValidationError("--clients must be in 1...\(cfg.users) (K)") }
        let store = try RunStore(path: RunSupport.databasePath(db))
        var options = try flags.options(bind: bind, config: cfg)
        options.minClients = flags.minClients ?? count
        let children = ChildProcesses(quiet: quiet)
        defer { children.stop() }
        let summary = try ServerRunner.execute(config: cfg, runID: runID, store: store, options: options, quiet: quiet, out: out) { endpoint in
            for i in 0..<count {
                children.start(label: "client \(i)", arguments: ["client", "--connect", endpoint, "--partition", "\(i)/\(cfg.users)", "--name", "launch-\(i)", "--give-up-after", "60"])
            }
        }
        if json { try printJSON(summary.merging(["command": "launch", "clients": count]) { $1 }) }
    }
}

/// Child `foedus` processes whose stderr is streamed with a prefix, stopped together.
final class ChildProcesses: @unchecked Sendable {
    private var processes: [Process] = []
    private let quiet: Bool
    private let lock = NSLock()

    init(quiet: Bool) { self.quiet = quiet }

    /// This executable, resolved through /proc so a relative argv[0] works too.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func start(label: String, arguments: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = arguments + (quiet ? ["--quiet"] : [])
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        let quiet = self.quiet
        let buffer = LineBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            for line in buffer.append(data) where !quiet { Log.stderr("[\(label)] \(line)") }
        }
        do {
            try p.run()
            lock.withLock { processes.append(p) }
        } catch {
            Log.stderr("cannot start \(label): \(error)")
        }
    }

    /// Waits up to 5 s for the children to leave on their own (the server said bye), then terminates them.
    func stop() {
        let all = lock.withLock { processes }
        let deadline = Date().addingTimeInterval(5)
        while all.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for p in all where p.isRunning { p.terminate() }
        for p in all { p.waitUntilExit() }
    }
}

final class LineBuffer: @unchecked Sendable {
    private var pending = Data()
    private let lock = NSLock()
    func append(_ data: Data) -> [String] {
        lock.withLock {
            pending.append(data)
            var lines: [String] = []
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex ..< newline]
                lines.append(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "\r", with: ""))
                pending.removeSubrange(pending.startIndex ... newline)
            }
            return lines
        }
    }
}
