/// Array forms of the backward kernels, for callers that hold their operands in arrays.
extension IntegerTraining {
    /// ``weightGradient(columns:k:reduction:zeroPoint:activationStep:codes:outChannels:step:offset:perColumn:weightGradient:biasGradient:)``
    /// over arrays: `columns` `[K, N·L]`, gradient codes `[N·L, O]` grouped per tensor or per column.
    /// - Returns: `∇W` `[O, K]` and `∇b` `[O]`.
    public static func weightGradient(columns: [Int8], k: Int, activation: ActivationScale, codes: AffineCodes) -> (weights: [Float], bias: [Float]) {
        let o = codes.cols, nl = codes.rows
        precondition(columns.count == k * nl, "IntegerTraining.weightGradient: \(columns.count) column values for \(k)×\(nl)")
        var dw = [Float](repeating: 0, count: o * k)
        var db = [Float](repeating: 0, count: o)
        columns.withUnsafeBufferPointer { c in
            codes.codes.withUnsafeBufferPointer { q in
                codes.step.withUnsafeBufferPointer { st in
                    codes.offset.withUnsafeBufferPointer { off in
                        dw.withUnsafeMutableBufferPointer { d in
                            db.withUnsafeMutableBufferPointer { b in
                                weightGradient(columns: c.baseAddress!, k: k, reduction: nl, zeroPoint: activation.zeroPoint, activationStep: activation.step,
                                               codes: q.baseAddress!, outChannels: o, step: st.baseAddress!, offset: off.baseAddress!,
                                               perColumn: codes.grouping == .columns, weightGradient: d.baseAddress!, biasGradient: b.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return (dw, db)
    }

    /// The weight gradient from codes already in the GEMM's packed layout: `columns` `[K, N·L]`.
    /// - Returns: `∇W` `[O, K]` and `∇b` `[O]`, equal to the unpacked form on the same codes.
    public static func weightGradient(columns: [Int8], k: Int, activation: ActivationScale, codes: PackedGradientCodes) -> (weights: [Float], bias: [Float]) {
        let o = codes.packed.n, nl = codes.packed.k
        precondition(columns.count == k * nl, "IntegerTraining.weightGradient: \(columns.count) column values for \(k)×\(nl)")
        var dw = [Float](repeating: 0, count: o * k)
        var db = [Float](repeating: 0, count: o)
        columns.withUnsafeBufferPointer { c in
            codes.step.withUnsafeBufferPointer { st in
                codes.offset.withUnsafeBufferPointer { off in
                    dw.withUnsafeMutableBufferPointer { d in
                        db.withUnsafeMutableBufferPointer { b in
                            weightGradient(columns: c.baseAddress!, k: k, zeroPoint: activation.zeroPoint, activationStep: activation.step,
                                           packed: codes.packed, step: st.baseAddress!, offset: off.baseAddress!,
                                           perColumn: codes.grouping == .columns, weightGradient: d.baseAddress!, biasGradient: b.baseAddress!)
                        }
                    }
                }
            }
        }
        return (dw, db)
    }

    /// ``inputGradient(codes:samples:outChannels:pixels:step:offset:perRow:weightsTransposed:transposedSums:k:into:)``
    /// over arrays: gradient codes `[N, O·L]` grouped per tensor or per row, `wᵀ` `[K, O]`.
    /// - Returns: per-sample column gradients `[N, K, L]`.
    public static func inputGradient(codes: AffineCodes, outChannels o: Int, pixels l: Int, weightsTransposed: [Int8], transposedSums: [Int32], k: Int) -> [Float] {
        let n = codes.rows
        precondition(codes.cols == o * l && weightsTransposed.count == k * o && transposedSums.count == k,
                     "IntegerTraining.inputGradient: codes \(codes.rows)×\(codes.cols), wᵀ \(weightsTransposed.count) for K \(k), O \(o), L \(l)")
        var out = [Float](repeating: 0, count: n * k * l)
        codes.codes.withUnsafeBufferPointer { q in
            codes.step.withUnsafeBufferPointer { st in
                codes.offset.withUnsafeBufferPointer { off in
                    weightsTransposed.withUnsafeBufferPointer { wt in
                        transposedSums.withUnsafeBufferPointer { ts in
                            out.withUnsafeMutableBufferPointer { cg in
                                inputGradient(codes: q.baseAddress!, samples: n, outChannels: o, pixels: l, step: st.baseAddress!, offset: off.baseAddress!,
                                              perRow: codes.grouping == .rows, weightsTransposed: wt.baseAddress!, transposedSums: ts.baseAddress!, k: k,
                                              into: cg.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// ``inputGradientImages(codes:samples:outChannels:window:step:offset:perRow:weightsTransposed:transposedSums:into:reference:)``
    /// over arrays: gradient codes `[N, O·L]`, `wᵀ` `[K, O]`; returns `∇X` `[N, C·H·W]`.
    public static func inputGradientImages(codes: AffineCodes, outChannels o: Int, window g: WindowGeometry,
                                           weightsTransposed: [Int8], transposedSums: [Int32], reference: Bool = false) -> [Float] {
        let n = codes.rows, l = g.outHeight * g.outWidth, k = g.channels * g.kernelH * g.kernelW
        precondition(codes.cols == o * l && weightsTransposed.count == k * o && transposedSums.count == k,
                     "IntegerTraining.inputGradientImages: codes \(codes.rows)×\(codes.cols), wᵀ \(weightsTransposed.count) for \(g), O \(o)")
        var out = [Float](repeating: 0, count: n * g.channels * g.height * g.width)
        codes.codes.withUnsafeBufferPointer { q in
            codes.step.withUnsafeBufferPointer { st in
                codes.offset.withUnsafeBufferPointer { off in
                    weightsTransposed.withUnsafeBufferPointer { wt in
                        transposedSums.withUnsafeBufferPointer { ts in
                            out.withUnsafeMutableBufferPointer { d in
                                inputGradientImages(codes: q.baseAddress!, samples: n, outChannels: o, window: g, step: st.baseAddress!,
                                                    offset: off.baseAddress!, perRow: codes.grouping == .rows, weightsTransposed: wt.baseAddress!,
                                                    transposedSums: ts.baseAddress!, into: d.baseAddress!, reference: reference)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
