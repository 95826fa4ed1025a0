/// What the command line asks for.
enum BenchCommand {
    case tensor(TensorBenchmarkOptions)
    case help
}

/// A command line that cannot be understood; the message says why.
struct UsageError: Error {
    let message: String
}

/// The help text.
let usage = """
    usage: foedus-bench tensor [--threads N[,N...]] [--repeats R] [--sample-ms MS] [--ops conv1,...] [--fresh-outputs] [--json]

    Times the reference CNN's convolutions and linear layers (batch 64, 28x28 inputs), forward and
    forward+backward, through FoedusTensor and as direct oneDNN calls, interleaved in one run.

      --threads N     OpenMP threads for oneDNN (default 1); a list such as 1,2 measures each in turn
      --repeats R     interleaved samples per case and implementation (default 40: ~25–35 s per thread count)
      --sample-ms MS  target duration of one sample in milliseconds (default 40)
      --ops LIST      measure only these of conv1, conv2, fc1, fc2 (default all)
      --fresh-outputs also time the direct calls writing into output buffers allocated per call
                      (as the tensor layer does), splitting the overhead into allocation and the rest
      --json          print one JSON object on stdout; the table and progress go to stderr
    """

/// Parses `foedus-bench <command> [options]` (arguments without the program name).
func parseCommandLine(_ arguments: [String]) throws(UsageError) -> BenchCommand {
    guard let command = arguments.first else { throw UsageError(message: "missing command") }
    if command == "-h" || command == "--help" || command == "help" { return .help }
    guard command == "tensor" else { throw UsageError(message: "unknown command '\(command)'") }

    var options = TensorBenchmarkOptions()
    var rest = arguments.dropFirst()[...]
    while let argument = rest.popFirst() {
        // Both `--name value` and `--name=value`.
        var name = argument
        var inlineValue: String?
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            inlineValue = String(argument[argument.index(after: equals)...])
        }
        func value() throws(UsageError) -> String {
            if let inlineValue { return inlineValue }
            guard let next = rest.popFirst() else { throw UsageError(message: "\(name) needs a value") }
            return next
        }
        func positive(_ text: String) throws(UsageError) -> Int {
            guard let n = Int(text), n >= 1 else { throw UsageError(message: "\(name): expected a positive integer, got '\(text)'") }
            return n
        }
        switch name {
        case "--threads":
            options.threads = []
            for part in try value().split(separator: ",") { options.threads.append(try positive(String(part))) }
            if options.threads.isEmpty { throw UsageError(message: "--threads: no thread count given") }
        case "--repeats":
            options.repeats = try positive(try value())
        case "--sample-ms":
            options.sampleSeconds = Double(try positive(try value())) / 1000
        case "--ops":
            let names = try value().split(separator: ",").map(String.init)
            let known = ["conv1", "conv2", "fc1", "fc2"]
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw UsageError(message: "--ops: unknown operation '\(unknown)' (known: \(known.joined(separator: ", ")))")
            }
            if names.isEmpty { throw UsageError(message: "--ops: no operation given") }
            options.operations = names
        case "--json", "--fresh-outputs":
            if inlineValue != nil { throw UsageError(message: "\(name) takes no value") }
            if name == "--json" { options.json = true } else { options.freshOutputs = true }
        case "-h", "--help":
            return .help
        default:
            throw UsageError(message: "unknown option '\(argument)'")
        }
    }
    return .tensor(options)
}
