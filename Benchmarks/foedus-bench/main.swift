@preconcurrency import Glibc
import CFoedusKernels

// foedus-bench: performance measurements that are not tests (see Benchmarks/README.md).
// The allocator settings of the `foedus` tool (MemoryTuning.swift): large scratch blocks stay in
// the heap instead of being re-mapped (and page-faulted) on every call.
foedus_keep_large_blocks(32 << 20, 256 << 20)
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

if arguments.first == "fqt" {
    do {
        FQTBenchmark.run(try parseFQTOptions(arguments.dropFirst()))
        exit(0)
    } catch {
        printError("foedus-bench: \(error.message)\n\n\(fqtUsage)")
        exit(2)
    }
}

let command: BenchCommand
do {
    command = try parseCommandLine(Array(CommandLine.arguments.dropFirst()))
} catch {
    printError("foedus-bench: \(error.message)\n\n\(usage)\n\n\(integerUsage)\n\n\(fqtUsage)")
    exit(2)
}

switch command {
case .help:
    print(usage + "\n\n" + integerUsage + "\n\n" + fqtUsage)
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
