import CDNNL

/// The process-wide oneDNN CPU engine and the primitive attributes every primitive is built with.
final class DNNLEnvironment: @unchecked Sendable {
    static let shared = DNNLEnvironment()

    let engine: dnnl_engine_t
    /// User-managed scratchpad: the library's own scratchpad may not be shared by a primitive
    /// across threads, while ours comes from a per-call pool (see `DNNLExecutionContextPool`).
    let attributes: dnnl_primitive_attr_t

    private init() {
        var engine: dnnl_engine_t?
        dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var attributes: dnnl_primitive_attr_t?
        dnnlCheck(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user),
                  "selecting the user scratchpad mode")
        self.engine = engine!
        self.attributes = attributes!
    }
}

/// Stops the process when oneDNN reports a failure: every call here is built from validated
/// shapes, so a failure is a programming error in this module, not bad input.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    if status != dnnl_success {
        // fatalError rather than preconditionFailure: -O builds drop precondition messages, and
        // the op, status and shapes are the whole diagnosis.
        fatalError("oneDNN failed (\(dnnlStatusName(status))) while \(what())")
    }
}

func dnnlStatusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_success: return "success"
    case dnnl_out_of_memory: return "out_of_memory"
    case dnnl_invalid_arguments: return "invalid_arguments"
    case dnnl_unimplemented: return "unimplemented"
    case dnnl_iterator_ends: return "iterator_ends"
    case dnnl_runtime_error: return "runtime_error"
    case dnnl_not_required: return "not_required"
    default: return "status \(status.rawValue)"
    }
}

/// Calls `body` with `values` as oneDNN's fixed-size dimension array (zero-padded).
func withDNNLDims<R>(_ values: [Int], _ body: (UnsafePointer<dnnl_dim_t>) -> R) -> R {
    precondition(values.count <= Int(DNNL_MAX_NDIMS))
    var dims = [dnnl_dim_t](repeating: 0, count: Int(DNNL_MAX_NDIMS))
    for (index, value) in values.enumerated() { dims[index] = dnnl_dim_t(value) }
    return dims.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// A Float32 memory descriptor with the given dimensions and format tag (possibly
/// `dnnl_format_tag_any`).
func dnnlMemoryDesc(_ dims: [Int], tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
    var desc = dnnl_memory_desc_t()
    let status = withDNNLDims(dims) { dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), $0, dnnl_f32, tag) }
    dnnlCheck(status, "describing memory \(dims) with tag \(tag.rawValue)")
    return desc
}

/// A Float32 memory descriptor with the given dimensions and element strides.
func dnnlMemoryDesc(_ dims: [Int], strides: [Int]) -> dnnl_memory_desc_t {
    var desc = dnnl_memory_desc_t()
    let status = withDNNLDims(dims) { dimsPointer in
        withDNNLDims(strides) { dnnl_memory_desc_init_by_strides(&desc, Int32(dims.count), dimsPointer, dnnl_f32, $0) }
    }
    dnnlCheck(status, "describing memory \(dims) with strides \(strides)")
    return desc
}

func dnnlMemoryDescsEqual(_ lhs: dnnl_memory_desc_t, _ rhs: dnnl_memory_desc_t) -> Bool {
    withUnsafePointer(to: lhs) { l in withUnsafePointer(to: rhs) { r in dnnl_memory_desc_equal(l, r) != 0 } }
}

func dnnlMemoryDescSize(_ desc: dnnl_memory_desc_t) -> Int {
    withUnsafePointer(to: desc) { Int(dnnl_memory_desc_get_size($0)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenMP runtime oneDNN runs on, looked up at run time like `foedus_set_omp_threads`.
enum DNNLThreading {
    private typealias MaxThreads = @convention(c) () -> Int32

    private static let maxThreads: MaxThreads? = {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "omp_get_max_threads") else {
            return nil
        }
        return unsafeBitCast(symbol, to: MaxThreads.self)
    }()

    /// The number of OpenMP threads oneDNN would use for a call from this thread (1 without OpenMP).
    static func callingThreadCount() -> Int {
        maxThreads.map { Int($0()) } ?? 1
    }
}
