/// What the command line asks for.
enum BenchCommand {
    case tensor(TensorBenchmarkOptions)
    case help
}

/// A command line that cannot be understood; the message says why.
struct UsageError: Error {
    let message: String
}

/// Walks `--name value` and `--name=value` options, one at a time.
struct OptionScanner {
    /// One option as written: its name and the value given inline after `=`, if any.
    struct Option {
        let name: String
        let argument: String
        let inlineValue: String?
    }

    private var rest: ArraySlice<String>

    init(_ arguments: ArraySlice<String>) {
        rest = arguments
    }

    mutating func next() -> Option? {
        guard let argument = rest.popFirst() else { return nil }
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            return Option(name: String(argument[..<equals]), argument: argument, inlineValue: String(argument[argument.index(after: equals)...]))
        }
        return Option(name: argument, argument: argument, inlineValue: nil)
    }

    /// The option's value: inline, or the next argument.
    mutating func value(_ option: Option) throws(UsageError) -> String {
        if let inline = option.inlineValue { return inline }
        guard let next = rest.popFirst() else { throw UsageError(message: "\(option.name) needs a value") }
        return next
    }

    /// A positive integer, the option's value or one element of a list.
    func positive(_ text: String, _ option: Option) throws(UsageError) -> Int {
        guard let n = Int(text), n >= 1 else { throw UsageError(message: "\(option.name): expected a positive integer, got '\(text)'") }
        return n
    }

    mutating func positive(_ option: Option) throws(UsageError) -> Int {
        try positive(try value(option), option)
    }

    /// Checks that a flag was given without a value.
    func flag(_ option: Option) throws(UsageError) {
        if option.inlineValue != nil { throw UsageError(message: "\(option.name) takes no value") }
    }

    func unknown(_ option: Option) -> UsageError {
        UsageError(message: "unknown option '\(option.argument)'")
    }
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
    var scanner = OptionScanner(arguments.dropFirst())
    while let option = scanner.next() {
        switch option.name {
        case "--threads":
            options.threads = []
            for part in try scanner.value(option).split(separator: ",") { options.threads.append(try scanner.positive(String(part), option)) }
            if options.threads.isEmpty { throw UsageError(message: "--threads: no thread count given") }
        case "--repeats":
            options.repeats = try scanner.positive(option)
        case "--sample-ms":
            options.sampleSeconds = Double(try scanner.positive(option)) / 1000
        case "--ops":
            let names = try scanner.value(option).split(separator: ",").map(String.init)
            let known = ["conv1", "conv2", "fc1", "fc2"]
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw UsageError(message: "--ops: unknown operation '\(unknown)' (known: \(known.joined(separator: ", ")))")
            }
            if names.isEmpty { throw UsageError(message: "--ops: no operation given") }
            options.operations = names
        case "--json", "--fresh-outputs":
            try scanner.flag(option)
            if option.name == "--json" { options.json = true } else { options.freshOutputs = true }
        case "-h", "--help":
            return .help
        default:
            throw scanner.unknown(option)
        }
    }
    return .tensor(options)
}
