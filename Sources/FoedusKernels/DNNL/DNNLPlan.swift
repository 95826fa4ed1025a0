import CDNNL

/// One ready-to-run oneDNN primitive plus the reorders that connect it to plain user layouts.
///
/// Immutable after creation, so a plan can be executed from several threads at once: all
/// per-call state (memory objects, stream, scratchpad, staging buffers) lives in the call.
final class DNNLPlan: @unchecked Sendable {
    /// How the caller describes one primitive argument.
    struct OperandSpec {
        /// The `DNNL_ARG_*` index.
        var argument: Int32
        /// The caller's layout (always plain here).
        var userDesc: dnnl_memory_desc_t
        /// The query that returns the layout the primitive chose for this argument.
        var query: dnnl_query_t
        var isOutput: Bool
    }

    private struct Operand {
        var argument: Int32
        var userDesc: dnnl_memory_desc_t
        var primitiveDesc: dnnl_memory_desc_t
        /// User → primitive layout for inputs, primitive → user for outputs; nil when equal.
        var reorder: Step?
        var isOutput: Bool
        /// Offset of the staging buffer in the arena (when `reorder` is non-nil).
        var stagingOffset: Int
    }

    /// A primitive and the scratchpad layout it expects.
    private struct Step {
        var primitive: dnnl_primitive_t
        var scratchpadDesc: dnnl_memory_desc_t
        var scratchpadBytes: Int
    }

    let label: String
    private let main: Step
    private let operands: [Operand]
    /// Bytes of arena a call needs: one scratchpad region shared by the sequential steps, then
    /// one staging buffer per reordered operand.
    private let arenaBytes: Int
    /// Name of the implementation oneDNN picked, for benchmarks and diagnostics.
    let implementation: String

    /// Creates the primitive for `opDesc` (a pointer to an initialised oneDNN op descriptor).
    /// - Parameter hint: the forward primitive descriptor, for backward primitives.
    init(label: String, opDesc: UnsafeRawPointer, hint: dnnl_primitive_desc_t? = nil, operands specs: [OperandSpec]) {
        let environment = DNNLEnvironment.shared
        self.label = label
        var descriptor: dnnl_primitive_desc_t?
        dnnlCheck(dnnl_primitive_desc_create(&descriptor, opDesc, environment.attributes, environment.engine, hint),
                  "creating the primitive descriptor for \(label)")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        main = Self.makeStep(descriptor!, label: label)

        var implementationName: UnsafePointer<CChar>?
        _ = dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &implementationName)
        implementation = implementationName.map { String(cString: $0) } ?? "unknown"

        var built: [Operand] = []
        var scratchBytes = main.scratchpadBytes
        var stagingBytes = 0
        for spec in specs {
            guard let chosen = dnnl_primitive_desc_query_md(descriptor, spec.query, 0)?.pointee else {
                preconditionFailure("oneDNN gave no memory descriptor for argument \(spec.argument) of \(label)")
            }
            var operand = Operand(argument: spec.argument, userDesc: spec.userDesc, primitiveDesc: chosen,
                                  reorder: nil, isOutput: spec.isOutput, stagingOffset: 0)
            if !dnnlMemoryDescsEqual(spec.userDesc, chosen) {
                let step = spec.isOutput
                    ? Self.makeReorder(from: chosen, to: spec.userDesc, label: label)
                    : Self.makeReorder(from: spec.userDesc, to: chosen, label: label)
                scratchBytes = max(scratchBytes, step.scratchpadBytes)
                operand.reorder = step
                operand.stagingOffset = stagingBytes
                stagingBytes += Self.aligned(dnnlMemoryDescSize(chosen))
            }
            built.append(operand)
        }
        let scratchRegion = Self.aligned(scratchBytes)
        operands = built.map { operand in
            var shifted = operand
            shifted.stagingOffset += scratchRegion
            return shifted
        }
        arenaBytes = scratchRegion + stagingBytes
    }

    deinit {
        dnnl_primitive_destroy(main.primitive)
        for operand in operands { if let step = operand.reorder { dnnl_primitive_destroy(step.primitive) } }
    }

    /// Runs the plan on caller buffers given in the order of the operand specs.
    /// Inputs are only read, although oneDNN takes them as mutable handles.
    func execute(_ pointers: [UnsafeMutableRawPointer]) {
        precondition(pointers.count == operands.count)
        let engine = DNNLEnvironment.shared.engine
        DNNLExecutionContextPool.shared.withContext { context in
            let arena = context.arena(atLeast: arenaBytes)
            var created: [dnnl_memory_t?] = []
            created.reserveCapacity(2 * operands.count + 1)
            defer { for memory in created { dnnl_memory_destroy(memory) } }
            func memory(_ desc: dnnl_memory_desc_t, _ handle: UnsafeMutableRawPointer?) -> dnnl_memory_t? {
                var memory: dnnl_memory_t?
                let status = withUnsafePointer(to: desc) { dnnl_memory_create(&memory, $0, engine, handle) }
                dnnlCheck(status, "creating a memory object for \(label)")
                created.append(memory)
                return memory
            }
            func run(_ step: Step, _ arguments: [dnnl_exec_arg_t]) {
                var arguments = arguments
                if step.scratchpadBytes > 0 {
                    arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory(step.scratchpadDesc, arena)))
                }
                dnnlCheck(dnnl_primitive_execute(step.primitive, context.stream, Int32(arguments.count), arguments),
                          "executing \(label)")
            }

            var mainArguments: [dnnl_exec_arg_t] = []
            var pendingOutputs: [(Step, dnnl_memory_t?, dnnl_memory_t?)] = []
            for (operand, pointer) in zip(operands, pointers) {
                let user = memory(operand.userDesc, pointer)
                guard let reorder = operand.reorder else {
                    mainArguments.append(dnnl_exec_arg_t(arg: operand.argument, memory: user))
                    continue
                }
                let staged = memory(operand.primitiveDesc, arena! + operand.stagingOffset)
                mainArguments.append(dnnl_exec_arg_t(arg: operand.argument, memory: staged))
                if operand.isOutput {
                    pendingOutputs.append((reorder, staged, user))
                } else {
                    run(reorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user),
                                  dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: staged)])
                }
            }
            run(main, mainArguments)
            for (reorder, staged, user) in pendingOutputs {
                run(reorder, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: staged),
                              dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: user)])
            }
            dnnlCheck(dnnl_stream_wait(context.stream), "waiting for \(label)")
        }
    }

    private static func aligned(_ bytes: Int) -> Int { (bytes + 63) & ~63 }

    private static func makeStep(_ descriptor: dnnl_primitive_desc_t, label: String) -> Step {
        var primitive: dnnl_primitive_t?
        dnnlCheck(dnnl_primitive_create(&primitive, descriptor), "creating the primitive for \(label)")
        let scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)?.pointee ?? dnnl_memory_desc_t()
        return Step(primitive: primitive!, scratchpadDesc: scratchpad, scratchpadBytes: dnnlMemoryDescSize(scratchpad))
    }

    private static func makeReorder(from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, label: String) -> Step {
        let environment = DNNLEnvironment.shared
        var descriptor: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: source) { from in
            withUnsafePointer(to: destination) { to in
                dnnl_reorder_primitive_desc_create(&descriptor, from, environment.engine, to, environment.engine,
                                                   environment.attributes)
            }
        }
        dnnlCheck(status, "creating a layout reorder for \(label)")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        return makeStep(descriptor!, label: "reorder for \(label)")
    }
}
