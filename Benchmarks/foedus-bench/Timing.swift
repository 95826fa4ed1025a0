@preconcurrency import Glibc

/// The clock every sample reads: wall time (`CLOCK_MONOTONIC`) by default, or the calling
/// thread's CPU time when `FOEDUS_BENCH_CLOCK=cpu`. On a machine shared with other jobs, CPU time
/// leaves out the time this thread waited for a core (it still includes cache and memory
/// contention); every contender runs on the calling thread (oneDNN with one OpenMP thread too),
/// so paired ratios stay comparable.
let benchClock: clockid_t = {
    guard let value = getenv("FOEDUS_BENCH_CLOCK") else { return CLOCK_MONOTONIC }
    return String(cString: value) == "cpu" ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC
}()

/// Whether samples are thread CPU time (`FOEDUS_BENCH_CLOCK=cpu`) rather than wall time.
var benchClockName: String { benchClock == CLOCK_THREAD_CPUTIME_ID ? "thread-cpu" : "monotonic" }

/// Nanoseconds on ``benchClock``.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(benchClock, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Where measured results go so that the optimiser cannot prove them unused and drop the work.
enum Sink {
    /// Running sum of everything consumed; printed at the end of a run.
    nonisolated(unsafe) static var checksum: Double = 0

    /// Folds `value` into ``checksum`` behind a call the optimiser may not inline or elide.
    @inline(never)
    static func consume(_ value: Float) {
        checksum += Double(value)
    }
}

/// Runs `body` `iterations` times back to back and returns the mean seconds per call.
///
/// Every call's result feeds the sink, so no call can be hoisted out of the loop or removed.
func secondsPerCall(iterations: Int, _ body: () -> Float) -> Double {
    var accumulated: Float = 0
    let start = monotonicNanoseconds()
    for _ in 0..<iterations { accumulated += body() }
    let end = monotonicNanoseconds()
    Sink.consume(accumulated)
    return Double(end - start) / 1e9 / Double(iterations)
}

/// Order statistics of a set of samples.
struct Summary {
    var minimum: Double
    var p25: Double
    var median: Double
    var p75: Double
    var maximum: Double

    /// - Precondition: `samples` is not empty.
    init(_ samples: [Double]) {
        precondition(!samples.isEmpty, "Summary of no samples")
        let sorted = samples.sorted()
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
        p25 = Self.quantile(sorted, 0.25)
        median = Self.quantile(sorted, 0.5)
        p75 = Self.quantile(sorted, 0.75)
    }

    /// Linear interpolation between the closest ranks (NumPy's default).
    private static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

/// The 1-minute load average, or nil where the system does not report it.
func oneMinuteLoadAverage() -> Double? {
    var loads = [Double](repeating: 0, count: 3)
    return getloadavg(&loads, 3) >= 1 ? loads[0] : nil
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
func utcTimestamp() -> String {
    var seconds = time(nil)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let written = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(decoding: buffer[0..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Writes `text` and a newline to standard error (progress and diagnostics).
func printError(_ text: String) {
    fputs(text + "\n", stderr)
}
