import FoedusTensor

extension SafeTensors {
    /// The safetensors bytes of `tensors` and `metadata`.
    ///
    /// Deterministic: the header lists `"__metadata__"` first (keys sorted by UTF-8 bytes;
    /// omitted when `metadata` is empty), then the tensors in ``ParameterSet`` order, whose data
    /// follow one another in the buffer in that order. The header is padded with spaces so the
    /// buffer starts at a multiple of ``alignment``.
    ///
    /// - Throws: ``FoedusNNError/duplicateName(source:name:)`` when a tensor is named
    ///   `"__metadata__"`, which would collide with the metadata key.
    /// - Complexity: O(header + total tensor bytes).
    public static func encode(_ tensors: ParameterSet, metadata: [String: String] = [:]) throws -> [UInt8] {
        if tensors.names.contains(metadataKey) {
            throw FoedusNNError.duplicateName(source: "<memory>", name: metadataKey)
        }
        var entries: [HeaderEntry] = []
        var offset = 0
        for (name, tensor) in tensors.pairs {
            let size = tensor.scalarCount * tensor.dtype.byteSize
            entries.append(HeaderEntry(name: name, dtype: tensor.dtype, shape: tensor.shape, begin: offset, end: offset + size))
            offset += size
        }
        var header = headerJSON(entries, metadata: metadata)
        while (8 + header.count) % alignment != 0 { header.append(UInt8(ascii: " ")) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for tensor in tensors.tensors { appendLittleEndianScalars(of: tensor, to: &bytes) }
        return bytes
    }

    /// Appends the elements of `tensor`, little-endian, row-major.
    static func appendLittleEndianScalars(of tensor: Tensor, to bytes: inout [UInt8]) {
        switch tensor.dtype {
        case .float32: appendScalars(tensor, Float.self, { $0.bitPattern }, to: &bytes)
        case .float64: appendScalars(tensor, Double.self, { $0.bitPattern }, to: &bytes)
        case .int32: appendScalars(tensor, Int32.self, { $0 }, to: &bytes)
        }
    }

    private static func appendScalars<T: TensorElement, Bits: FixedWidthInteger>(
        _ tensor: Tensor, _ type: T.Type, _ bits: (T) -> Bits, to bytes: inout [UInt8]
    ) {
        tensor.withUnsafeBufferPointer(as: T.self) { scalars in
            #if _endian(little)
            bytes.append(contentsOf: UnsafeRawBufferPointer(scalars))
            #else
            for x in scalars { withUnsafeBytes(of: bits(x).littleEndian) { bytes.append(contentsOf: $0) } }
            #endif
        }
    }
}
