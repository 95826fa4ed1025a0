@preconcurrency import Glibc

// foedus-bench: performance measurements that are not tests (see Benchmarks/README.md).
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "integer" {
    do {
        IntegerBenchmark.run(try parseIntegerOptions(arguments.dropFirst()))
        exit(0)
    } catch {
        printError("foedus-bench: \(error.message)\n\n\(integerUsage)")
        exit(2)
    }
}

let command: BenchCommand
do {
    command = try parseCommandLine(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError("foedus-bench: \(error.message)\n\n\(usage)\n\n\(integerUsage)")
    exit(2)
}

switch command {
case .help:
    print(usage + "\n\n" + integerUsage)
case let .tensor(options):
    let context = RunContext.current(options)
    var runs: [ThreadCountResult] = []
    for threads in options.threads {
        let run = TensorBenchmark.run(threads: threads, options: options)
        runs.append(run)
        let table = Report.table(run, context: context)
        if options.json { printError(table) } else { print(table + "\n") }
    }
    printError("checksum \(Sink.checksum)")
    if options.json { print(Report.json(runs, context: context)) }
}
