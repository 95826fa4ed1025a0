extension Tensor {



    /// 1 / (1 + e⁻ˣ), computed as ½(tanh(x/2) + 1), which cannot overflow.
    public func sigmoid() -> Tensor { ((self * 0.5).tanh() + 1) * 0.5 }

    /// GELU: `x·Φ(x)` with the exact normal CDF, or the tanh approximation
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` when `approximate`.
    public func gelu(approximate: Bool = false) -> Tensor {
        if approximate {
            let inner = (self + self.pow(3) * 0.044715) * (2 / Double.pi).squareRoot()
            return self * 0.5 * (inner.tanh() + 1)
        }
        return self * 0.5 * ((self * (1 / 2.0.squareRoot())).erf() + 1)
    }

    /// x for x > 0, `slope·x` otherwise.
    public func leakyRelu(slope: Double = 0.01) -> Tensor { Tensor.select(isGreater(0), self, self * slope) }
}
