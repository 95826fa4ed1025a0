@preconcurrency import Glibc
import Foundation

/// Progress on stderr: a redrawn bar on a terminal, plain lines every few seconds otherwise.
struct Progress {
    let total: Int
    let label: String
    let isTerminal = isatty(STDERR_FILENO) != 0
    let start = Date()
    var lastLine = Date.distantPast
    var quiet: Bool

    init(total: Int, label: String, quiet: Bool = false) {
        self.total = total
        self.label = label
        self.quiet = quiet
    }

    /// Reports `done` of `total` steps with free-form fields (loss, images/s).
    mutating func update(_ done: Int, _ fields: String) {
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        if isTerminal {
            let width = 24
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            Log.stderr("\r\(label) \(bar) \(done)/\(total) \(fields) eta \(Self.clock(eta))  ", newline: false)
            if done == total { Log.stderr("") }
        } else if Date().timeIntervalSince(lastLine) >= 5 || done == total {
            lastLine = Date()
            Log.stderr("\(label) \(done)/\(total) \(fields) elapsed \(Self.clock(elapsed)) eta \(Self.clock(eta))")
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Writes human-readable output to stderr (stdout is reserved for `--json`).
enum Log {
    static func stderr(_ message: String, newline: Bool = true) {
        FileHandle.standardError.write((message + (newline ? "\n" : "")).data(using: .utf8)!)
    }
}

/// Prints one JSON object on stdout.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write("\n".data(using: .utf8)!)
}
