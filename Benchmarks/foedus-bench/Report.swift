@preconcurrency import Glibc
import CDNNL

/// Facts about the run that every report carries.
struct RunContext {
    let date: String
    let oneDNNVersion: String
    let onlineCPUs: Int
    let options: TensorBenchmarkOptions

    static func current(_ options: TensorBenchmarkOptions) -> RunContext {
        let version = dnnl_version().pointee
        return RunContext(date: utcTimestamp(), oneDNNVersion: "\(version.major).\(version.minor).\(version.patch)",
                          onlineCPUs: sysconf(Int32(_SC_NPROCESSORS_ONLN)), options: options)
    }
}

/// Renders benchmark results as a text table or one JSON object.
enum Report {
    private static func gigaflops(_ flops: Double, _ seconds: Double) -> Double { flops / seconds / 1e9 }

    private static func describe(_ load: Double?) -> String { load.map { Format.fixed($0, 2) } ?? "?" }

    /// A fixed-width table with one line per operation and pass.
    static func table(_ run: ThreadCountResult, context: RunContext) -> String {
        let threadWord = run.threads == 1 ? "thread" : "threads"
        let ratioPairs = run.cases.first.map { c in [Ratio.overhead, .allocation, .bookkeeping].filter { c.ratios[$0] != nil } } ?? []
        var header = Format.pad("op", 6, right: false) + Format.pad("pass", 8, right: false) + Format.pad("calls", 6)
        for implementation in run.implementations {
            header += Format.pad("\(implementation.rawValue) µs", 16) + Format.pad("GFLOP/s", 9)
        }
        for pair in ratioPairs {
            header += Format.pad(pair.label, pair == .overhead ? 15 : 20) + (pair == .overhead ? "  [p25–p75]     " : "")
        }
        var lines = [
            "foedus-bench tensor — \(context.date), \(run.threads) OpenMP \(threadWord), oneDNN \(context.oneDNNVersion), "
                + "batch \(context.options.batch), medians of \(context.options.repeats) interleaved samples, "
                + "load avg \(describe(run.loadBefore)) → \(describe(run.loadAfter)), \(Format.fixed(run.wallSeconds, 1)) s",
            header,
        ]
        for c in run.cases {
            var line = Format.pad(c.operation, 6, right: false) + Format.pad(c.pass.rawValue, 8, right: false)
                + Format.pad(String(c.iterations), 6)
            for implementation in run.implementations {
                let median = c.times[implementation]!.median
                line += Format.pad(Format.fixed(median * 1e6, 1), 16) + Format.pad(Format.fixed(gigaflops(c.flops, median), 1), 9)
            }
            for pair in ratioPairs {
                let ratio = c.ratios[pair]!
                if pair == .overhead {
                    line += Format.pad(Format.fixed(ratio.median, 3), 15)
                        + Format.pad("  [\(Format.fixed(ratio.p25, 3))–\(Format.fixed(ratio.p75, 3))]", 16, right: false)
                } else {
                    line += Format.pad(Format.fixed(ratio.median, 3), 20)
                }
            }
            lines.append(line)
        }
        var seen = Set<String>()
        for c in run.cases where seen.insert(c.operation).inserted {
            lines.append("  \(c.operation): \(c.shape)")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object with every run.
    static func json(_ runs: [ThreadCountResult], context: RunContext) -> String {
        func timing(_ s: Summary, flops: Double) -> JSON {
            .object([
                ("median_us", .number(s.median * 1e6)), ("p25_us", .number(s.p25 * 1e6)), ("p75_us", .number(s.p75 * 1e6)),
                ("min_us", .number(s.minimum * 1e6)), ("max_us", .number(s.maximum * 1e6)),
                ("gflops", .number(gigaflops(flops, s.median))),
            ])
        }
        func ratio(_ s: Summary) -> JSON {
            .object([("median", .number(s.median)), ("p25", .number(s.p25)), ("p75", .number(s.p75))])
        }
        let runObjects: [JSON] = runs.map { run in
            .object([
                ("threads", .integer(run.threads)),
                ("load_before", .optional(run.loadBefore)),
                ("load_after", .optional(run.loadAfter)),
                ("wall_seconds", .number(run.wallSeconds)),
                ("cases", .array(run.cases.map { c in
                    var members: [(String, JSON)] = [
                        ("op", .string(c.operation)), ("pass", .string(c.pass.rawValue)), ("shape", .string(c.shape)),
                        ("flops", .number(c.flops)), ("calls_per_sample", .integer(c.iterations)),
                    ]
                    for implementation in run.implementations {
                        members.append((implementation.rawValue, timing(c.times[implementation]!, flops: c.flops)))
                    }
                    // "ratio" is tensor/direct; the others are named after their pair.
                    for pair in [Ratio.overhead, .allocation, .bookkeeping] {
                        guard let summary = c.ratios[pair] else { continue }
                        members.append((pair == .overhead ? "ratio" : "ratio_\(pair.label)", ratio(summary)))
                    }
                    return .object(members)
                })),
            ])
        }
        return JSON.object([
            ("benchmark", .string("tensor")),
            ("date", .string(context.date)),
            ("onednn", .string(context.oneDNNVersion)),
            ("online_cpus", .integer(context.onlineCPUs)),
            ("batch", .integer(context.options.batch)),
            ("repeats", .integer(context.options.repeats)),
            ("sample_seconds", .number(context.options.sampleSeconds)),
            ("checksum", .number(Sink.checksum)),
            ("runs", .array(runObjects)),
        ]).text
    }
}
