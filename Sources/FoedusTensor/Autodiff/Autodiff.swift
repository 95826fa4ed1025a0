/// The reverse-mode engine: recording and the backward sweep.
enum Autodiff {
    /// How many `gradient` evaluations enclose the current code on this thread or task. Inside
    /// one, a nested gradient must itself be differentiable, so its backward pass is recorded.
    @TaskLocal static var depth = 0

    /// Attaches a node to `value` when any input is tracked; otherwise returns it unchanged.
    @inline(__always)
    static func record(_ value: Tensor, _ name: String, _ inputs: [Tensor], _ vjp: @escaping VJP) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }) else { return value }
        var out = value
        out.node = ADNode(name: name, inputs: inputs, output: value.detached, vjp: vjp)
        return out
    }

    /// A fresh differentiation variable holding `x`'s value. When `x` is itself tracked (nested
    /// differentiation) the variable is an identity of `x`, so outer derivatives flow through it.
    static func variable(_ x: Tensor) -> Tensor {
        var v = x.detached
        if x.node != nil {
            v.node = ADNode(name: "variable", inputs: [x], output: x.detached, vjp: { ctx in [ctx.cotangent] }, isVariable: true)
        } else {
            v.node = ADNode(name: "variable", inputs: [], output: x.detached, vjp: nil, isVariable: true)
        }
        return v
    }

    /// Back-propagates `seed` from `root` and returns the cotangent reaching each variable
    /// (nil when none does). Variables in `targets` are terminals: the sweep stops there.
    static func backward(root: Tensor, seed: Tensor, targets: [Tensor], createGraph: Bool) -> [Tensor?] {
        let targetIDs = Set(targets.compactMap { $0.node.map(ObjectIdentifier.init) })
        guard let rootNode = root.node else { return targets.map { _ in nil } }

        // Post-order DFS, iterative so deep graphs cannot overflow the stack.
        var order: [ADNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(ADNode, Int)] = [(rootNode, 0)]
        visited.insert(ObjectIdentifier(rootNode))
        while let (node, next) = stack.popLast() {
            let expand = !targetIDs.contains(ObjectIdentifier(node))
            if expand && next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next].node, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }

        var cotangents: [ObjectIdentifier: Tensor] = [ObjectIdentifier(rootNode): createGraph ? seed : seed.detached]
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            if targetIDs.contains(id) { continue }
            guard let g = cotangents.removeValue(forKey: id), let vjp = node.vjp else { continue }
            let inputs = createGraph ? node.inputs : node.inputs.map(\.detached)
            let grads = vjp(VJPContext(cotangent: g, inputs: inputs, output: node.output, createGraph: createGraph))
            for (input, grad) in zip(node.inputs, grads) {
                guard let child = input.node, var grad else { continue }
                if !createGraph { grad = grad.detached }
                precondition(grad.shape == input.shape,
                             "[backward] VJP of \(node.name) returned \(Shape.describe(grad.shape)) for input \(Shape.describe(input.shape))")
                let cid = ObjectIdentifier(child)
                if let existing = cotangents[cid] {
                    cotangents[cid] = existing + grad
                } else {
                    cotangents[cid] = grad
                }
            }
        }
        return targets.map { t in t.node.flatMap { cotangents[ObjectIdentifier($0)] } }
    }
}
