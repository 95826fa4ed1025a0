import CFoedusKernels

/// Two's-complement int4 values packed two per byte, **low nibble first**: value `2i` is the
/// low nibble of byte `i`, value `2i + 1` its high nibble. An odd count leaves the last high
/// nibble zero. Values lie in `[−8, 7]`; a nibble `v` decodes as `(v ^ 8) − 8`.
public enum Int4Packing {
    /// Bytes needed for `count` int4 values: `⌈count / 2⌉`.
    @inlinable
    public static func byteCount(_ count: Int) -> Int { (count + 1) / 2 }

    /// Packs `count` values from `values` into `packed` (`byteCount(count)` bytes).
    /// - Precondition: every value is in `[−8, 7]` (checked).
    public static func pack(_ values: UnsafePointer<Int8>, count: Int, into packed: UnsafeMutablePointer<UInt8>) {
        precondition(count >= 0, "Int4Packing.pack: negative count \(count)")
        for i in 0..<count {
            precondition(values[i] >= -8 && values[i] <= 7, "Int4Packing.pack: value \(values[i]) at \(i) is outside [-8, 7]")
        }
        foedus_i4_pack(values, packed, count)
    }

    /// Unpacks `count` values (vectorised SSE2 on x86-64).
    public static func unpack(_ packed: UnsafePointer<UInt8>, count: Int, into values: UnsafeMutablePointer<Int8>) {
        precondition(count >= 0, "Int4Packing.unpack: negative count \(count)")
        foedus_i4_unpack(packed, values, count)
    }

    /// Array form of ``pack(_:count:into:)``.
    public static func pack(_ values: [Int8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount(values.count))
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                if let base = v.baseAddress, let ob = o.baseAddress { pack(base, count: v.count, into: ob) }
            }
        }
        return out
    }

    /// Array form of ``unpack(_:count:into:)``.
    /// - Precondition: `packed.count ≥ byteCount(count)`.
    public static func unpack(_ packed: [UInt8], count: Int) -> [Int8] {
        precondition(packed.count >= byteCount(count), "Int4Packing.unpack: \(packed.count) bytes hold fewer than \(count) values")
        var out = [Int8](repeating: 0, count: count)
        packed.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                if let pb = p.baseAddress, let ob = o.baseAddress { unpack(pb, count: count, into: ob) }
            }
        }
        return out
    }

    /// Scalar reference twin of ``unpack(_:count:)``.
    public static func unpackReference(_ packed: [UInt8], count: Int) -> [Int8] {
        (0..<count).map { i in
            let byte = packed[i / 2]
            let nibble = i % 2 == 0 ? byte & 0x0F : byte >> 4
            return Int8(Int(nibble ^ 8) - 8)
        }
    }

    /// Scalar reference twin of ``pack(_:)``.
    public static func packReference(_ values: [Int8]) -> [UInt8] {
        (0..<byteCount(values.count)).map { i in
            let low = UInt8(bitPattern: values[2 * i]) & 0x0F
            let high = 2 * i + 1 < values.count ? UInt8(bitPattern: values[2 * i + 1]) & 0x0F : 0
            return low | (high << 4)
        }
    }
}
