import CFoedusKernels

extension IntegerResidual {
    /// A residual block's shortcut branch as the fused block-output kernels read it.
    public enum Shortcut {
        /// The block's uint8 input through a 256-entry table: an identity shortcut's requantization.
        case tabulated(UnsafePointer<UInt8>, table: [Int32])
        /// int32 values at the residual scale: a projection shortcut's output.
        case values(UnsafePointer<Int32>)

        /// The shortcut's value at `i` (the scalar reference).
        func value(at i: Int) -> Int32 {
            switch self {
            case .tabulated(let x, let table): return table[Int(x[i])]
            case .values(let y): return y[i]
            }
        }

        /// Calls `body` with the C kernels' (bytes, table, int32) triple: table NULL for `.values`.
        func withKernelArguments<R>(_ body: (UnsafePointer<UInt8>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R) -> R {
            switch self {
            case .tabulated(let x, let table):
                precondition(table.count == 256, "IntegerResidual: a byte table needs 256 entries, got \(table.count)")
                return table.withUnsafeBufferPointer { body(x, $0.baseAddress!, nil) }
            case .values(let y):
                return body(nil, nil, y)
            }
        }
    }

    /// The end of a residual block in one pass: `out[i] = output.requantize(main[i] &+ shortcut[i])`
    /// (AVX-512 or portable C by `backend`). Equals ``addRequantizeReference(_:_:count:output:into:)``.
    /// - Precondition: `output.clamp ⊆ 0…255`.
    public static func addRequantize(_ main: UnsafePointer<Int32>, _ shortcut: Shortcut, count: Int, output: Requantizer,
                                     into out: UnsafeMutablePointer<UInt8>, backend: IntegerBackend = .automatic) {
        precondition(output.clamp.lowerBound >= 0 && output.clamp.upperBound <= 255, "IntegerResidual: clamp \(output.clamp) does not fit UInt8")
        shortcut.withKernelArguments { bytes, table, values in
            foedus_residual_requant_u8(main, bytes, table, values, count, output.dyadic.b, Int32(output.dyadic.c), output.zeroPoint,
                                       output.clamp.lowerBound, output.clamp.upperBound, out, backend.rawValue)
        }
    }

    /// The scalar reference twin of ``addRequantize(_:_:count:output:into:backend:)``.
    public static func addRequantizeReference(_ main: UnsafePointer<Int32>, _ shortcut: Shortcut, count: Int, output: Requantizer,
                                              into out: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: output.requantize(main[i] &+ shortcut.value(at: i))) }
    }
}
