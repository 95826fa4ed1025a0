import FoedusKernels
import FoedusTensor

/// A tensor shipped as signed 8- or 4-bit integers with one Float32 scale per output channel
/// (dimension 0; one scale for rank < 2), made with stochastic rounding so that the dequantized
/// value is an unbiased estimate of the original: E[dequantized] = x element by element.
///
/// Quantization is symmetric: `scale_c = max|x_c| / qmax` (qmax = 127 or 7), `q = ⌊x/scale + u⌋`
/// with `u ~ U[0, 1)` drawn from a counter-based stream, so |q| ≤ qmax without clamping. int4 values
/// are packed two per byte, low nibble first (two's complement nibbles).
public struct QuantizedTensor: Sendable, Equatable {
    /// Bits per element.
    public enum Bits: Int, Sendable, CaseIterable {
        case int8 = 8
        case int4 = 4

        /// Largest magnitude a quantized value takes.
        public var maximum: Int { self == .int8 ? 127 : 7 }
    }

    public let shape: [Int]
    public let bits: Bits
    /// One scale per channel (dimension 0), or one for rank < 2.
    public let scales: [Float]
    /// int8 values as bytes (bit patterns), or int4 values packed two per byte.
    public let payload: [UInt8]

    public var scalarCount: Int { shape.reduce(1, *) }

    /// Bytes on the wire for the values and scales (the message header is counted by the codec).
    public var byteCount: Int { payload.count + 4 * scales.count }

    /// Rebuilds a quantized tensor from its parts (a decoder's path), or returns nil when they do not
    /// fit together: negative extents, a scale count other than the channel count, a payload of the
    /// wrong length, or a non-finite or negative scale.
    public init?(validatingShape shape: [Int], bits: Bits, scales: [Float], payload: [UInt8]) {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        let count = shape.reduce(1, *)
        let channels = shape.count >= 2 ? shape[0] : 1
        let bytes = bits == .int8 ? count : (count + 1) / 2
        guard scales.count == channels, payload.count == bytes, scales.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return nil }
        self.init(shape: shape, bits: bits, scales: scales, payload: payload)
    }

    init(shape: [Int], bits: Bits, scales: [Float], payload: [UInt8]) {
        self.shape = shape
        self.bits = bits
        self.scales = scales
        self.payload = payload
    }

    /// Quantizes a floating-point tensor; the draws for element i come from `key` at counter i.
    /// - Precondition: `tensor` is float32 or float64 and finite.
    public static func quantize(_ tensor: Tensor, bits: Bits, key: RandomKey) -> QuantizedTensor {
        let values = tensor.doubles
        precondition(values.allSatisfy(\.isFinite), "[QuantizedTensor] non-finite value in a tensor of shape \(tensor.shape)")
        let channels = tensor.rank >= 2 ? tensor.shape[0] : 1
        let perChannel = channels == 0 ? 0 : values.count / channels
        var uniforms = [Double](repeating: 0, count: values.count)
        var stream = RandomStream(key: key)
        uniforms.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: 0, high: 1) }
        var scales = [Float](repeating: 0, count: channels)
        var q = [Int8](repeating: 0, count: values.count)
        let qmax = Double(bits.maximum)
        for c in 0..<channels {
            let range = c * perChannel ..< (c + 1) * perChannel
            let peak = values[range].reduce(0) { max($0, abs($1)) }
            // The scale is rounded to Float32 first, so encoder and decoder use the same number.
            let scale = Float(peak / qmax)
            scales[c] = scale
            guard scale > 0 else { continue }
            let s = Double(scale)
            for i in range {
                let v = (values[i] / s + uniforms[i]).rounded(.down)
                q[i] = Int8(max(-qmax, min(qmax, v)))
            }
        }
        let payload: [UInt8]
        switch bits {
        case .int8:
            payload = q.map { UInt8(bitPattern: $0) }
        case .int4:
            payload = stride(from: 0, to: q.count, by: 2).map { i in
                let low = UInt8(bitPattern: q[i]) & 0x0F
                let high = i + 1 < q.count ? (UInt8(bitPattern: q[i + 1]) & 0x0F) << 4 : 0
                return low | high
            }
        }
        return QuantizedTensor(shape: tensor.shape, bits: bits, scales: scales, payload: payload)
    }

    /// The signed integer values, unpacked.
    public var integers: [Int8] {
        switch bits {
        case .int8:
            return payload.map { Int8(bitPattern: $0) }
        case .int4:
            var out = [Int8](repeating: 0, count: scalarCount)
            for i in 0..<scalarCount {
                let nibble = (payload[i / 2] >> (i % 2 == 0 ? 0 : 4)) & 0x0F
                out[i] = Int8(Int(nibble ^ 0x08) - 8)
            }
            return out
        }
    }

    /// `q · scale_c` as a Float32 tensor of the original shape.
    public func dequantized() -> Tensor {
        let q = integers
        let channels = scales.count
        let perChannel = channels == 0 ? 0 : scalarCount / channels
        var out = [Float](repeating: 0, count: scalarCount)
        for c in 0..<channels {
            for i in c * perChannel ..< (c + 1) * perChannel { out[i] = Float(q[i]) * scales[c] }
        }
        return Tensor(shape: shape, scalars: out)
    }
}
