import Foedus
import FoedusNN
import FoedusStore
import Foundation

/// Where runs are stored and how they are named.
enum RunSupport {
    /// `--db`, else `FOEDUS_DB`, else `runs/foedus.sqlite` in the working directory.
    static func databasePath(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["FOEDUS_DB"] ?? "runs/foedus.sqlite"
    }

    /// A stable id for a configuration: its name and the SHA-256 of its canonical JSON.
    static func configHash(_ config: SimulationConfig) -> String {
        var dict = config.dictionary
        // The worker count changes speed, not results.
        if var run = dict["run"] as? [String: Any] { run["workers"] = nil; dict["run"] = run }
        let data = (try? JSONSerialization.data(withJSONObject: dict, options: [.sortedKeys])) ?? Data()
        return SHA256.hexDigest([UInt8](data))
    }

    static func canonicalJSON(_ config: SimulationConfig) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: config.dictionary, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The source revision when run from a git checkout, else the CLI version.
    static var codeVersion: String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil {
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if process.terminationStatus == 0 && !text.isEmpty { return "git-\(text)" }
        }
        return "foedus-\(Foedus.configuration.version)"
    }

    /// The SHA-256 of the safetensors encoding of a model state (what `runs show` reports).
    static func weightsSHA256(_ state: ModelState) throws -> (sha: String, bytes: [UInt8]) {
        let bytes = try SafeTensors.encode(state.stateDict)
        return (SHA256.hexDigest(bytes), bytes)
    }
}
