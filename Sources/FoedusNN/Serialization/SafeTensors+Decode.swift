import FoedusTensor

extension SafeTensors {
    /// The tensors and metadata of safetensors `bytes`.
    ///
    /// Bytes are treated as hostile: every header field is type-checked, every byte range is
    /// checked against the buffer and the others, and any problem throws a ``FoedusNNError``
    /// naming `source` and the tensor or file offset.
    ///
    /// - Parameter source: names the bytes in errors (a path, or `"<memory>"`).
    /// - Returns: tensors ordered by data offset (ties in header order), so files written by
    ///   ``encode(_:metadata:)`` come back in the order they were written.
    /// - Throws: ``FoedusNNError/truncated(source:expectedBytes:actualBytes:)``,
    ///   ``FoedusNNError/badHeader(source:offset:problem:)``,
    ///   ``FoedusNNError/unsupportedDType(source:tensor:dtype:)``,
    ///   ``FoedusNNError/badTensor(source:tensor:problem:)``,
    ///   ``FoedusNNError/duplicateName(source:name:)``.
    /// - Complexity: O(header + total tensor bytes).
    public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> (tensors: ParameterSet, metadata: [String: String]) {
        let header = try parseHeader(bytes, source: source)
        let entries = try checkLayout(header.entries, dataStart: header.dataStart, fileLength: bytes.count, source: source)
        var tensors = ParameterSet()
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                let data = UnsafeRawBufferPointer(rebasing: raw[(header.dataStart + entry.begin)..<(header.dataStart + entry.end)])
                tensors.append(entry.name, tensor(entry, from: data))
            }
        }
        return (tensors, header.metadata)
    }

    /// A tensor holding the little-endian elements in `data` (any alignment).
    private static func tensor(_ entry: HeaderEntry, from data: UnsafeRawBufferPointer) -> Tensor {
        var tensor = Tensor.zeros(entry.shape, dtype: entry.dtype)
        switch entry.dtype {
        case .float32: fill(&tensor, Float.self, from: data) { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        case .float64: fill(&tensor, Double.self, from: data) { Double(bitPattern: UInt64(littleEndian: $0.bitPattern)) }
        case .int32: fill(&tensor, Int32.self, from: data) { Int32(littleEndian: $0) }
        }
        return tensor
    }

    private static func fill<T: TensorElement>(_ tensor: inout Tensor, _ type: T.Type, from data: UnsafeRawBufferPointer,
                                               fromLittleEndian: (T) -> T) {
        tensor.withUnsafeMutableBufferPointer(as: T.self) { scalars in
            UnsafeMutableRawBufferPointer(scalars).copyMemory(from: data)
            #if _endian(big)
            for i in scalars.indices { scalars[i] = fromLittleEndian(scalars[i]) }
            #endif
        }
    }
}
