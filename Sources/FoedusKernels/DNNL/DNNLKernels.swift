import CDNNL
import CFoedusKernels

/// Float32 matrix products and 2-D convolutions on oneDNN's CPU primitives.
///
/// Primitives are created once per shape and kept in a process-wide cache, so the first call
/// with a new shape pays a few milliseconds of JIT compilation. Every function is safe to call
/// concurrently from several threads, including with the same shape: each call borrows its own
/// stream and scratch memory. Within a call, oneDNN parallelises with OpenMP using the calling
/// thread's thread count (see `setIntraOpThreads`); primitives are cached per thread count too.
/// Outputs are overwritten, never accumulated into, and must not overlap the inputs.
///
/// Convolutions mostly run oneDNN's blocked-layout kernels: plain NCHW / OIHW operands are
/// reordered in and results out on every call, through pooled scratch memory about the size of
/// the operands (still 2–3× faster than the plain-layout kernels at training shapes).
public enum DNNLKernels {
    /// Sets how many OpenMP threads oneDNN uses for calls made from the calling thread.
    ///
    /// This changes the calling thread's OpenMP setting only; other threads keep theirs. On a
    /// machine shared by several worker threads, give each worker `1` so OpenMP threads do not
    /// oversubscribe the cores. Does nothing if no OpenMP runtime is loaded.
    /// - Precondition: `n ≥ 1`.
    public static func setIntraOpThreads(_ n: Int) {
        precondition(n >= 1, "DNNLKernels.setIntraOpThreads: thread count must be at least 1, got \(n)")
        _ = foedus_set_omp_threads(Int32(clamping: n))
    }
}
