// The functional differentiation API. Functions are differentiated where they are evaluated:
// inside an enclosing `gradient`, results stay differentiable (higher order).

/// Evaluates `f(x)` and its gradient with respect to every input tensor.
/// - Precondition: `f` returns a one-element floating-point tensor.
public func valueAndGradient(of f: ([Tensor]) throws -> Tensor, at xs: [Tensor]) rethrows -> (value: Tensor, gradient: [Tensor]) {
    let outerDepth = Autodiff.depth
    let vars = xs.map(Autodiff.variable)
    let y = try Autodiff.$depth.withValue(outerDepth + 1) { try f(vars) }
    precondition(y.scalarCount == 1 && y.dtype.isFloatingPoint,
                 "[gradient] function must return one floating-point element, got \(y.dtype) \(Shape.describe(y.shape))")
    let createGraph = outerDepth > 0
    let seed = Tensor.full(1, shape: y.shape, dtype: y.dtype)
    let grads = Autodiff.backward(root: y, seed: seed, targets: vars, createGraph: createGraph)
    let gradient = zip(xs, grads).map { x, g in g ?? x.zerosLike }
    return (createGraph ? y : y.detached, gradient)
}

/// Vector-Jacobian product: evaluates `f(x)` and `Jᵀ·cotangent` for every input.
/// - Precondition: `cotangent` has the output's shape and dtype.
public func valueAndPullback(of f: ([Tensor]) throws -> Tensor, at xs: [Tensor], cotangent: Tensor) rethrows -> (value: Tensor, pullback: [Tensor]) {
    let outerDepth = Autodiff.depth
    let vars = xs.map(Autodiff.variable)
    let y = try Autodiff.$depth.withValue(outerDepth + 1) { try f(vars) }
    precondition(y.shape == cotangent.shape && y.dtype == cotangent.dtype,
                 "[pullback] cotangent \(cotangent.dtype) \(Shape.describe(cotangent.shape)) for output \(y.dtype) \(Shape.describe(y.shape))")
    let createGraph = outerDepth > 0 || cotangent.isTracked
    let grads = Autodiff.backward(root: y, seed: cotangent, targets: vars, createGraph: createGraph)
    return (createGraph ? y : y.detached, zip(xs, grads).map { x, g in g ?? x.zerosLike })
}

extension Autodiff {
    /// `Jᵀ·cotangent` of `f` at `xs`, recorded (differentiable) when `createGraph`. Serves the
    /// VJPs of fused kernels, whose higher-order derivatives come from their decomposition.
    static func pullback(of f: ([Tensor]) -> Tensor, at xs: [Tensor], cotangent: Tensor, createGraph: Bool) -> [Tensor] {
        let vars = xs.map(Autodiff.variable)
        let y = Autodiff.$depth.withValue(Autodiff.depth + 1) { f(vars) }
        let grads = Autodiff.backward(root: y, seed: cotangent, targets: vars, createGraph: createGraph)
        return zip(xs, grads).map { x, g in g ?? x.zerosLike }
    }

    /// Records a fused operation: `value` came from a fast kernel, `firstOrder` is its fast
    /// backward kernel, and `decomposition` is the same function in primitives. First-order
    /// backward passes use the fast kernel; recorded (higher-order) ones differentiate the
    /// decomposition, so every order stays exact.
    static func fused(_ name: String, value: Tensor, inputs: [Tensor],
                      firstOrder: @escaping (_ cotangent: Tensor, _ inputs: [Tensor]) -> [Tensor?],
                      decomposition: @escaping ([Tensor]) -> Tensor) -> Tensor {
        record(value, name, inputs) { ctx in
            if !ctx.createGraph { return firstOrder(ctx.cotangent, ctx.inputs) }
            return pullback(of: decomposition, at: ctx.inputs, cotangent: ctx.cotangent, createGraph: true)
        }
    }
}

/// Evaluates `f(x)` and `∂f/∂x`.
public func valueAndGradient(of f: (Tensor) throws -> Tensor, at x: Tensor) rethrows -> (value: Tensor, gradient: Tensor) {
    let (v, g) = try valueAndGradient(of: { try f($0[0]) }, at: [x])
    return (v, g[0])
}

/// `∂f/∂x` for a scalar-valued `f`.
public func gradient(of f: (Tensor) throws -> Tensor, at x: Tensor) rethrows -> Tensor {
    try valueAndGradient(of: f, at: x).gradient
}

/// `(∂f/∂x, ∂f/∂y)` for a scalar-valued `f` of two tensors.
public func gradient(of f: (Tensor, Tensor) throws -> Tensor, at x: Tensor, _ y: Tensor) rethrows -> (Tensor, Tensor) {
    let g = try valueAndGradient(of: { try f($0[0], $0[1]) }, at: [x, y]).gradient
    return (g[0], g[1])
}

/// Evaluates `f(p)` and its gradient with respect to every parameter of `p` (same names).
public func valueAndGradient(of f: (ParameterSet) throws -> Tensor, at p: ParameterSet) rethrows -> (value: Tensor, gradient: ParameterSet) {
    let (v, g) = try valueAndGradient(of: { try f(p.replacingTensors($0)) }, at: p.tensors)
    return (v, p.replacingTensors(g))
}

/// The gradient of a scalar-valued function of named parameters.
public func gradient(of f: (ParameterSet) throws -> Tensor, at p: ParameterSet) rethrows -> ParameterSet {
    try valueAndGradient(of: f, at: p).gradient
}

/// The Hessian-vector product `H·v` of a scalar-valued `f` at `x`: the exact gradient of
/// `⟨∇f(x), v⟩` (double backward), costing about two gradient evaluations.
/// - Precondition: `v` has the shape and dtype of `x`.
public func hessianVectorProduct(of f: (Tensor) throws -> Tensor, at x: Tensor, along v: Tensor) rethrows -> Tensor {
    precondition(x.shape == v.shape && x.dtype == v.dtype, "[hessianVectorProduct] direction \(Shape.describe(v.shape)) for point \(Shape.describe(x.shape))")
    return try gradient(of: { (x: Tensor) -> Tensor in
        let g = try gradient(of: f, at: x)
        return (g * v).sum()
    }, at: x)
}

/// The Hessian-vector product over named parameters: `H·v` where `v` holds one direction
/// tensor per parameter.
/// - Precondition: `v` has the same names, shapes and dtypes as `p`.
public func hessianVectorProduct(of f: (ParameterSet) throws -> Tensor, at p: ParameterSet, along v: ParameterSet) rethrows -> ParameterSet {
    try valueAndHessianVectorProduct(of: f, at: p, along: v).hvp
}

/// The value, gradient and Hessian-vector product of `f` at `p` in one double-backward pass.
public func valueAndHessianVectorProduct(of f: (ParameterSet) throws -> Tensor, at p: ParameterSet, along v: ParameterSet) rethrows -> (value: Tensor, gradient: ParameterSet, hvp: ParameterSet) {
    precondition(p.names == v.names, "[hessianVectorProduct] direction names \(v.names) differ from parameter names \(p.names)")
    for (name, (a, b)) in zip(p.names, zip(p.tensors, v.tensors)) {
        precondition(a.shape == b.shape && a.dtype == b.dtype,
                     "[hessianVectorProduct] direction \(name) is \(b.dtype) \(Shape.describe(b.shape)), parameter is \(a.dtype) \(Shape.describe(a.shape))")
    }
    var value = Tensor(0)
    var grad: [Tensor] = []
    let hvp = try valueAndGradient(of: { (xs: [Tensor]) -> Tensor in
        let (y, g) = try valueAndGradient(of: { try f(p.replacingTensors($0)) }, at: xs)
        value = y.detached
        grad = g.map(\.detached)
        var dot = Tensor(0, dtype: y.dtype)
        for (gi, vi) in zip(g, v.tensors) { dot = dot + (gi * vi).sum() }
        return dot
    }, at: p.tensors).gradient
    return (value, p.replacingTensors(grad), p.replacingTensors(hvp))
}
