import Foundation

/// What a cached plan computes: an op kind with every shape parameter that shapes the primitive,
/// plus the OpenMP thread count it was built for.
struct DNNLPlanKey: Hashable, Sendable {
    enum Operation: Hashable, Sendable {
        case matmul(batch: Int, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, broadcastB: Bool)
        case convolution(DNNLConvolutionPass, Conv2DGeometry, DNNLConvolutionLayout)
    }

    var operation: Operation
    /// oneDNN fixes a primitive's work partition (and scratchpad size) for the calling thread's
    /// OpenMP thread count at creation and requests exactly that many threads when it runs, so a
    /// plan built on a 2-thread caller would oversubscribe a 1-thread worker and vice versa.
    var threads: Int

    /// The key for `operation` on the calling thread.
    init(_ operation: Operation) {
        self.operation = operation
        threads = DNNLThreading.callingThreadCount()
    }
}

/// The three convolution primitives.
enum DNNLConvolutionPass: Hashable, Sendable {
    case forward, backwardData, backwardWeights
}

/// Process-wide, thread-safe cache of oneDNN plans by shape.
///
/// Plans are never evicted: a training run uses a handful of shapes, each plan is small, and a
/// rebuild costs milliseconds of JIT compilation. Creation happens under the lock so a shape is
/// compiled once even when several threads ask for it together.
final class DNNLPrimitiveCache: @unchecked Sendable {
    static let shared = DNNLPrimitiveCache()

    private let lock = NSLock()
    private var plans: [DNNLPlanKey: DNNLPlan] = [:]

    func plan(for key: DNNLPlanKey, create: () -> DNNLPlan) -> DNNLPlan {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[key] { return plan }
        let plan = create()
        plans[key] = plan
        return plan
    }

    /// Number of cached plans (for tests and diagnostics).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return plans.count
    }
}
