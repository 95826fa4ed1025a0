import Foundation
import FoedusKernels

/// Raw safetensors entries of the integer types the float serializer does not carry.
struct RawTensorFile {
    struct Entry {
        var name: String
        var dtype: String  // I8, U8, I32, F64
        var shape: [Int]
        var bytes: [UInt8]
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    mutating func add<T: FixedWidthInteger>(_ name: String, _ values: [T], shape: [Int]? = nil) {
        let dtype = T.self == Int8.self ? "I8" : T.self == UInt8.self ? "U8" : "I32"
        precondition(T.self == Int8.self || T.self == UInt8.self || T.self == Int32.self, "RawTensorFile: unsupported type")
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        entries.append(Entry(name: name, dtype: dtype, shape: shape ?? [values.count], bytes: bytes))
    }

    mutating func add(_ name: String, _ values: [Double]) {
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        entries.append(Entry(name: name, dtype: "F64", shape: [values.count], bytes: bytes))
    }

    func encoded() throws -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.dtype, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
            offset += e.bytes.count
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out += json
        for e in entries { out += e.bytes }
        return out
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> RawTensorFile {
        func bad(_ reason: String) -> QuantError { .badFile(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw bad("\(bytes.count) bytes: too short for a safetensors header length") }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(bytes.count - 8) else { throw bad("header length \(length) exceeds the file (\(bytes.count) bytes)") }
        let dataStart = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw bad("the header at byte 8 is not a JSON object")
        }
        var file = RawTensorFile()
        file.metadata = header["__metadata__"] as? [String: String] ?? [:]
        let sizes = ["I8": 1, "U8": 1, "I32": 4, "F64": 8]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String, let size = sizes[dtype],
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor \(name): malformed header entry")
            }
            let (begin, end) = (offsets[0], offsets[1])
            var elements = 1, overflow = false
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: max(d, 0))
                elements = p
                overflow = overflow || o
            }
            let (byteCount, o2) = elements.multipliedReportingOverflow(by: size)
            guard begin >= 0, begin <= end, end <= bytes.count - dataStart, shape.allSatisfy({ $0 >= 0 }), !overflow, !o2,
                  (end - begin) == byteCount else {
                throw bad("tensor \(name): offsets \(begin)..<\(end) do not fit shape \(shape) of \(dtype) inside the \(bytes.count - dataStart) data bytes")
            }
            file.entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)])))
        }
        return file
    }

    /// The file at `path`, decoded.
    static func load(path: String) throws -> RawTensorFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw QuantError.badFile(path: path, reason: "cannot read the file") }
        return try decode([UInt8](data), path: path)
    }

    func entry(_ name: String, _ dtype: String, path: String) throws -> Entry {
        guard let e = entries.first(where: { $0.name == name }) else { throw QuantError.badFile(path: path, reason: "missing tensor \(name)") }
        guard e.dtype == dtype else { throw QuantError.badFile(path: path, reason: "tensor \(name) is \(e.dtype), expected \(dtype)") }
        return e
    }

    func integers<T: FixedWidthInteger>(_ name: String, as: T.Type, path: String) throws -> [T] {
        let dtype = T.self == Int8.self ? "I8" : T.self == UInt8.self ? "U8" : "I32"
        let e = try entry(name, dtype, path: path)
        let width = MemoryLayout<T>.size
        return stride(from: 0, to: e.bytes.count, by: width).map { i in
            var v: T = 0
            for k in 0..<width { v |= T(truncatingIfNeeded: e.bytes[i + k]) << (8 * k) }
            return v
        }
    }

    func doubles(_ name: String, path: String) throws -> [Double] {
        let e = try entry(name, "F64", path: path)
        return stride(from: 0, to: e.bytes.count, by: 8).map { i in
            Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(e.bytes[i + $1]) << (8 * UInt64($1)) })
        }
    }
}

extension RawTensorFile {
    /// Weights under `prefix`: int8 as `I8`, int4 packed two per byte as `U8`, with their bits and
    /// OIHW / `[out, in]` shape in the metadata.
    mutating func addWeights(_ prefix: String, _ w: [Int8], bits: Int, shape: [Int]) {
        metadata[prefix + ".weight_bits"] = String(bits)
        metadata[prefix + ".weight_shape"] = shape.map(String.init).joined(separator: ",")
        if bits == 4 { add(prefix + ".weight", Int4Packing.pack(w)) } else { add(prefix + ".weight", w, shape: shape) }
    }

    /// Dyadic multipliers as int32 `(b, c)` pairs.
    mutating func addDyadics(_ name: String, _ r: [Requantizer]) {
        add(name, r.flatMap { [Int32($0.dyadic.b), Int32($0.dyadic.c)] }, shape: [r.count, 2])
    }

    /// The metadata shape of `prefix`'s weights (positive, bounded).
    func weightShape(_ prefix: String, path: String) throws -> [Int] {
        guard let s = metadata[prefix + ".weight_shape"]?.split(separator: ",").compactMap({ Int($0) }), !s.isEmpty,
              s.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }), s.reduce(1, { $0 * $1 }) <= 1 << 28 else {
            throw QuantError.badFile(path: path, reason: "\(prefix).weight_shape missing or too large")
        }
        return s
    }

    /// `count` weights under `prefix` (4 or 8 bits; int4 values checked to lie in −7…7).
    func weights(_ prefix: String, count: Int, path: String) throws -> (values: [Int8], bits: Int) {
        func bad(_ reason: String) -> QuantError { .badFile(path: path, reason: reason) }
        let bits = Int(metadata[prefix + ".weight_bits"] ?? "") ?? 0
        guard bits == 4 || bits == 8 else { throw bad("\(prefix).weight_bits must be 4 or 8") }
        let values: [Int8]
        if bits == 4 {
            let packed = try integers(prefix + ".weight", as: UInt8.self, path: path)
            guard packed.count == Int4Packing.byteCount(count) else { throw bad("\(prefix).weight has \(packed.count) packed bytes, expected \(Int4Packing.byteCount(count))") }
            values = Int4Packing.unpack(packed, count: count)
        } else {
            values = try integers(prefix + ".weight", as: Int8.self, path: path)
        }
        guard values.count == count else { throw bad("\(prefix).weight has \(values.count) values, expected \(count)") }
        if bits == 4, values.contains(where: { $0 < -7 || $0 > 7 }) { throw bad("\(prefix).weight has values outside int4 −7…7") }
        return (values, bits)
    }

    /// `count` requantizers `b/2^c` (b ≥ 0, 1 ≤ c ≤ 62) with `clamp`.
    func dyadics(_ name: String, count: Int, clamp: ClosedRange<Int32>, path: String) throws -> [Requantizer] {
        let v = try integers(name, as: Int32.self, path: path)
        guard v.count == 2 * count else { throw QuantError.badFile(path: path, reason: "\(name) has \(v.count / 2) multipliers, expected \(count)") }
        return try (0..<count).map { o in
            guard v[2 * o] >= 0, (1...62).contains(v[2 * o + 1]) else { throw QuantError.badFile(path: path, reason: "\(name)[\(o)] is not a dyadic b/2^c") }
            return Requantizer(dyadic: Dyadic(b: Int64(v[2 * o]), c: Int(v[2 * o + 1])), clamp: clamp)
        }
    }

    /// `count` int32 biases.
    func bias(_ name: String, count: Int, path: String) throws -> [Int32] {
        let b = try integers(name, as: Int32.self, path: path)
        guard b.count == count else { throw QuantError.badFile(path: path, reason: "\(name) has \(b.count) values, expected \(count)") }
        return b
    }
}

extension IntegerCNN {
    /// The model as safetensors bytes: int8 weights (int4 weights packed two per byte as `U8`),
    /// int32 biases, dyadic multipliers as int32 `(b, c)` pairs, and the model's shape in the metadata.
    public func encoded() throws -> [UInt8] {
        var file = RawTensorFile()
        file.metadata = ["format": "foedus-integer-cnn", "version": "1", "model": modelName, "precision": precision.rawValue,
                         "image_size": String(imageSize), "classes": String(classes),
                         "logit_scale": String(logitScale)]
        func weights(_ prefix: String, _ w: [Int8], bits: Int, shape: [Int]) { file.addWeights(prefix, w, bits: bits, shape: shape) }
        func dyadics(_ name: String, _ r: [Requantizer]) { file.addDyadics(name, r) }
        for (i, s) in stages.enumerated() {
            let p = "stage\(i + 1)"
            weights(p, s.weights, bits: s.weightBits, shape: [s.outChannels, s.inChannels, 3, 3])
            file.add(p + ".bias", s.bias)
            file.metadata[p + ".input_zero_point"] = String(s.inputZeroPoint)
            switch s.norm {
            case .folded(let r):
                dyadics(p + ".requant", r)
            case .group(let pre, _, let gamma, let beta, let outputScale):
                dyadics(p + ".pre", pre)
                file.add(p + ".gn_gamma", gamma)
                file.add(p + ".gn_beta", beta)
                file.add(p + ".gn_output_scale", [outputScale])
            }
        }
        for (p, d) in [("hidden", hidden), ("output", output)] {
            weights(p, d.weights, bits: d.weightBits, shape: [d.outFeatures, d.inFeatures])
            file.add(p + ".bias", d.bias)
            dyadics(p + ".requant", d.requantizers)
        }
        return try file.encoded()
    }

    public func write(to path: String) throws {
        try Data(try encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a model written by ``write(to:)``; every tensor is checked against the model's shape.
    public static func read(path: String) throws -> IntegerCNN {
        let file = try RawTensorFile.load(path: path)
        let m = file.metadata
        func bad(_ reason: String) -> QuantError { .badFile(path: path, reason: reason) }
        guard m["format"] == "foedus-integer-cnn" else { throw bad("not a Foedus integer model (metadata format is \(m["format"] ?? "missing"))") }
        guard m["version"] == "1" else { throw bad("integer model version \(m["version"] ?? "missing") (this build reads 1)") }
        guard let name = m["model"], name == "cnn-gn" || name == "cnn-bn", let precision = m["precision"].flatMap(IntegerPrecision.init(rawValue:)),
              let imageSize = m["image_size"].flatMap(Int.init), imageSize > 0, imageSize % 4 == 0,
              let classes = m["classes"].flatMap(Int.init), classes > 1 else {
            throw bad("metadata model/precision/image_size/classes missing or invalid")
        }
        let activationMax = Int32((1 << precision.activationBits) - 1)
        func shape(_ p: String) throws -> [Int] { try file.weightShape(p, path: path) }
        func weights(_ p: String, count: Int) throws -> (values: [Int8], bits: Int) { try file.weights(p, count: count, path: path) }
        func dyadics(_ name: String, count: Int, clamp: ClosedRange<Int32>) throws -> [Requantizer] {
            try file.dyadics(name, count: count, clamp: clamp, path: path)
        }
        func bias(_ name: String, count: Int) throws -> [Int32] { try file.bias(name, count: count, path: path) }
        var stages: [Stage] = []
        var size = imageSize
        var expectedIn = 1
        for i in 1...2 {
            let p = "stage\(i)"
            let s = try shape(p)
            guard s.count == 4, s[1] == expectedIn, s[2] == 3, s[3] == 3, name == "cnn-bn" || s[0] % 8 == 0 else { throw bad("\(p) weight shape \(s)") }
            let (w, bits) = try weights(p, count: s.reduce(1, *))
            let zero = Int32(m[p + ".input_zero_point"] ?? "") ?? -1
            guard (i == 1 ? 0...255 : 0...0).contains(zero) else { throw bad("\(p).input_zero_point \(zero)") }
            let norm: Stage.Norm
            if name == "cnn-gn" {
                let gamma = try file.doubles(p + ".gn_gamma", path: path), beta = try file.doubles(p + ".gn_beta", path: path)
                let outputScale = try file.doubles(p + ".gn_output_scale", path: path)
                guard gamma.count == s[0], beta.count == s[0], outputScale.count == 1, outputScale[0] > 0, outputScale[0].isFinite,
                      (gamma + beta).allSatisfy(\.isFinite) else { throw bad("\(p) group-norm parameters") }
                norm = .group(pre: try dyadics(p + ".pre", count: s[0], clamp: -32767...32767),
                              norm: IBert.GroupNorm(channels: s[0], groups: 8, spatial: size * size, gamma: gamma, beta: beta,
                                                    outputScale: outputScale[0], clamp: 0...activationMax),
                              gamma: gamma, beta: beta, outputScale: outputScale[0])
            } else {
                norm = .folded(try dyadics(p + ".requant", count: s[0], clamp: 0...activationMax))
            }
            stages.append(Stage(inChannels: s[1], outChannels: s[0], weights: w, weightBits: bits, bias: try bias(p + ".bias", count: s[0]),
                                inputZeroPoint: zero, norm: norm))
            expectedIn = s[0]
            size /= 2
        }
        let hs = try shape("hidden"), os = try shape("output")
        guard hs.count == 2, hs[1] == expectedIn * size * size, os.count == 2, os[1] == hs[0], os[0] == classes else {
            throw bad("dense shapes \(hs), \(os) do not follow the convolutions")
        }
        let hw = try weights("hidden", count: hs[0] * hs[1]), ow = try weights("output", count: os[0] * os[1])
        let hidden = Dense(inFeatures: hs[1], outFeatures: hs[0], weights: hw.values, weightBits: hw.bits, bias: try bias("hidden.bias", count: hs[0]),
                           requantizers: try dyadics("hidden.requant", count: hs[0], clamp: 0...255))
        let output = Dense(inFeatures: os[1], outFeatures: os[0], weights: ow.values, weightBits: ow.bits, bias: try bias("output.bias", count: os[0]),
                           requantizers: try dyadics("output.requant", count: os[0], clamp: Int32.min...Int32.max))
        let logitScale = Double(m["logit_scale"] ?? "") ?? 0
        guard logitScale > 0, logitScale.isFinite else { throw bad("metadata logit_scale missing or invalid") }
        return IntegerCNN(modelName: name, precision: precision, imageSize: imageSize, classes: classes, stages: stages, hidden: hidden,
                          output: output, logitScale: logitScale)
    }
}
