import FoedusTensor

/// Reading and writing the safetensors format used by PyTorch and Hugging Face.
///
/// Layout of a file:
///
/// 1. 8 bytes: little-endian `UInt64` *N*, the header length;
/// 2. *N* bytes: a UTF-8 JSON object mapping each tensor name to
///    `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`, plus an optional
///    `"__metadata__"` object of string values;
/// 3. the data buffer: each tensor's little-endian, row-major elements at
///    `begin..<end` relative to the buffer start. Tensors tile the buffer exactly.
///
/// Foedus tensors are `F32`, `F64` or `I32`; other dtypes (`F16`, `BF16`, `I64`, ...) are
/// rejected with ``FoedusNNError/unsupportedDType(source:tensor:dtype:)``.
///
/// Encoding is deterministic (same input, same bytes): `"__metadata__"` comes first with keys
/// sorted by UTF-8 bytes (omitted when empty), then the tensors in ``ParameterSet`` order, laid
/// out in the buffer in that same order; the header is padded with spaces so the buffer starts
/// at a multiple of ``alignment``. Decoding returns tensors ordered by data offset, so files
/// written here round-trip in their original order.
public enum SafeTensors {
    /// The largest header accepted when decoding, in bytes (the limit of the reference
    /// implementation).
    public static let headerLimit = 100_000_000
    /// The data buffer of an encoded file starts at a multiple of this many bytes.
    public static let alignment = 8
    /// The reserved header key holding string metadata.
    public static let metadataKey = "__metadata__"

    /// The safetensors dtype string of `dtype`.
    public static func formatName(of dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .float64: return "F64"
        case .int32: return "I32"
        }
    }

    /// The Foedus dtype for a safetensors dtype string, or nil when unsupported.
    public static func dtype(formatName: String) -> DType? {
        switch formatName {
        case "F32": return .float32
        case "F64": return .float64
        case "I32": return .int32
        default: return nil
        }
    }
}
