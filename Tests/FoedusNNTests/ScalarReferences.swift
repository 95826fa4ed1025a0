/// Plain-loop Float64 definitions of the layers, written from PyTorch's documentation and sharing
/// no code with the library: the oracles of the layer tests.
enum ScalarReference {
    /// `nn.GroupNorm`: `x` is `[n, c, spatial]` flattened; statistics per sample and group of
    /// `c/groups` channels, biased variance.
    static func groupNorm(_ x: [Double], n: Int, c: Int, spatial: Int, groups: Int,
                          weight: [Double], bias: [Double], epsilon: Double = 1e-5) -> [Double] {
        var y = [Double](repeating: 0, count: x.count)
        let perGroup = c / groups
        for s in 0..<n {
            for g in 0..<groups {
                var indices: [Int] = []
                for ch in (g * perGroup)..<((g + 1) * perGroup) {
                    for i in 0..<spatial { indices.append((s * c + ch) * spatial + i) }
                }
                let mean = indices.reduce(0) { $0 + x[$1] } / Double(indices.count)
                let variance = indices.reduce(0) { $0 + (x[$1] - mean) * (x[$1] - mean) } / Double(indices.count)
                for j in indices {
                    let ch = (j / spatial) % c
                    y[j] = (x[j] - mean) / (variance + epsilon).squareRoot() * weight[ch] + bias[ch]
                }
            }
        }
        return y
    }

    /// Per-channel statistics of `[n, c, spatial]`: mean, biased and unbiased variance.
    static func channelStatistics(_ x: [Double], n: Int, c: Int, spatial: Int) -> (mean: [Double], biased: [Double], unbiased: [Double]) {
        var mean = [Double](repeating: 0, count: c), biased = mean, unbiased = mean
        let count = Double(n * spatial)
        for ch in 0..<c {
            var values: [Double] = []
            for s in 0..<n { for i in 0..<spatial { values.append(x[(s * c + ch) * spatial + i]) } }
            let m = values.reduce(0, +) / count
            let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            mean[ch] = m
            biased[ch] = squares / count
            unbiased[ch] = squares / (count - 1)
        }
        return (mean, biased, unbiased)
    }

    /// `nn.BatchNorm2d` normalisation with the given per-channel mean and variance.
    static func batchNorm(_ x: [Double], n: Int, c: Int, spatial: Int, mean: [Double], variance: [Double],
                          weight: [Double], bias: [Double], epsilon: Double = 1e-5) -> [Double] {
        x.indices.map { j in
            let ch = (j / spatial) % c
            return (x[j] - mean[ch]) / (variance[ch] + epsilon).squareRoot() * weight[ch] + bias[ch]
        }
    }

    /// `nn.LayerNorm` over the last `features` values of each of `rows` rows.
    static func layerNorm(_ x: [Double], rows: Int, features: Int, weight: [Double], bias: [Double], epsilon: Double = 1e-5) -> [Double] {
        var y = x
        for r in 0..<rows {
            let row = Array(x[(r * features)..<((r + 1) * features)])
            let mean = row.reduce(0, +) / Double(features)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(features)
            for f in 0..<features {
                y[r * features + f] = (row[f] - mean) / (variance + epsilon).squareRoot() * weight[f] + bias[f]
            }
        }
        return y
    }

    /// `nn.Linear`: `y[r, o] = Σ_i x[r, i]·w[o, i] + b[o]`.
    static func linear(_ x: [Double], rows: Int, inFeatures: Int, weight: [Double], bias: [Double]) -> [Double] {
        let outFeatures = bias.count
        var y = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = bias[o]
                for i in 0..<inFeatures { sum += x[r * inFeatures + i] * weight[o * inFeatures + i] }
                y[r * outFeatures + o] = sum
            }
        }
        return y
    }

    /// The geometry of a 2-D convolution test case.
    struct Conv {
        var n: Int, inC: Int, h: Int, w: Int, outC: Int, kh: Int, kw: Int
        var stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups = 1

        var outH: Int { (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1 }
        var outW: Int { (w + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1 }
        var inputCount: Int { n * inC * h * w }
        var weightCount: Int { outC * (inC / groups) * kh * kw }
        var outputShape: [Int] { [n, outC, outH, outW] }
    }

    /// `nn.Conv2d` (cross-correlation, zero padding) over NCHW with OIHW weights.
    static func conv2d(_ x: [Double], weight: [Double], bias: [Double]?, _ g: Conv) -> [Double] {
        let inPerGroup = g.inC / g.groups, outPerGroup = g.outC / g.groups
        var y = [Double](repeating: 0, count: g.n * g.outC * g.outH * g.outW)
        for s in 0..<g.n {
            for o in 0..<g.outC {
                let group = o / outPerGroup
                for oy in 0..<g.outH {
                    for ox in 0..<g.outW {
                        var sum = bias?[o] ?? 0
                        for ci in 0..<inPerGroup {
                            let channel = group * inPerGroup + ci
                            for ky in 0..<g.kh {
                                for kx in 0..<g.kw {
                                    let iy = oy * g.stride.0 - g.padding.0 + ky * g.dilation.0
                                    let ix = ox * g.stride.1 - g.padding.1 + kx * g.dilation.1
                                    guard iy >= 0, iy < g.h, ix >= 0, ix < g.w else { continue }
                                    sum += x[((s * g.inC + channel) * g.h + iy) * g.w + ix] * weight[((o * inPerGroup + ci) * g.kh + ky) * g.kw + kx]
                                }
                            }
                        }
                        y[((s * g.outC + o) * g.outH + oy) * g.outW + ox] = sum
                    }
                }
            }
        }
        return y
    }
}
