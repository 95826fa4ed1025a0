import Dispatch
import Foundation
import FoedusKernels

/// Runs independent jobs on a fixed number of worker threads and hands their results to a
/// consumer **in job order**, whatever order they finish in. Results wait in a buffer only until
/// every earlier job is consumed, so memory grows with the number of workers, not of jobs.
///
/// Kernels inside workers run single-threaded (oneDNN with one OpenMP thread), so the work a job
/// does, and its floating-point result, do not depend on the worker count.
public enum WorkerPool {
    /// Runs `job(i)` for `i in 0..<count` on `workers` threads and calls `consume(i, result)` for
    /// i = 0, 1, 2, … in order (serialised: never two at once).
    public static func run<R>(count: Int, workers: Int, job: @escaping @Sendable (Int) -> R, consume: @escaping (Int, R) -> Void) {
        let state = PoolState<R>(consume: consume)
        let threads = max(1, min(workers, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            DNNLKernels.setIntraOpThreads(1)
            while let i = state.nextJob(limit: count) {
                let result = job(i)
                state.finish(i, result)
            }
        }
    }
}

private final class PoolState<R>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var nextToConsume = 0
    private var pending: [Int: R] = [:]
    private let consume: (Int, R) -> Void

    init(consume: @escaping (Int, R) -> Void) { self.consume = consume }

    func nextJob(limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }

    func finish(_ i: Int, _ result: R) {
        lock.lock()
        defer { lock.unlock() }
        pending[i] = result
        while let r = pending.removeValue(forKey: nextToConsume) {
            consume(nextToConsume, r)
            nextToConsume += 1
        }
    }
}
