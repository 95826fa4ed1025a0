import FoedusTensor

/// The error type of FoedusNN: every recoverable failure in layers, models and serialization.
///
/// Each case carries enough context (file, tensor name, byte offset, shapes) to act on the
/// message without a debugger. Serialization-specific detail lives in
/// ``SafeTensors/HeaderProblem`` and ``SafeTensors/TensorProblem``.
public enum FoedusNNError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: Files

    /// `path` could not be opened or read; `message` is the system's explanation.
    case fileNotReadable(path: String, message: String)
    /// `path` (or its temporary sibling) could not be created, written or renamed.
    case fileNotWritable(path: String, message: String)

    // MARK: safetensors decoding

    /// `source` holds `actualBytes` bytes, but its header says it needs `expectedBytes`.
    case truncated(source: String, expectedBytes: Int, actualBytes: Int)
    /// The length prefix or JSON header of `source` is unusable; `offset` is the file byte
    /// offset of the problem when known.
    case badHeader(source: String, offset: Int?, problem: SafeTensors.HeaderProblem)
    /// Tensor `tensor` in `source` has a dtype Foedus tensors cannot hold (only `F32`, `F64`
    /// and `I32` are supported).
    case unsupportedDType(source: String, tensor: String, dtype: String)
    /// Tensor `tensor` in `source` has an impossible shape or byte range.
    case badTensor(source: String, tensor: String, problem: SafeTensors.TensorProblem)
    /// `name` occurs twice: in a header, or as a tensor named `__metadata__` when encoding.
    case duplicateName(source: String, name: String)

    // MARK: Loading parameters into a model

    /// The model has a parameter `name` that the loaded set lacks.
    case missingTensor(name: String)
    /// The loaded set has a tensor `name` that the model does not.
    case unexpectedTensor(name: String)
    /// Parameter `name` has shape `found`, but the model expects `expected`.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// Parameter `name` has dtype `found`, but the model expects `expected`.
    case dtypeMismatch(name: String, expected: DType, found: DType)

    // MARK: Models

    /// No model is called `name`; `known` lists the names that exist.
    case unknownModel(name: String, known: [String])

    public var description: String {
        switch self {
        case let .fileNotReadable(path, message):
            return "cannot read \(path): \(message)"
        case let .fileNotWritable(path, message):
            return "cannot write \(path): \(message)"
        case let .truncated(source, expected, actual):
            return "\(source): truncated: \(actual) bytes, header requires \(expected)"
        case let .badHeader(source, offset, problem):
            let at = offset.map { " at byte \($0)" } ?? ""
            return "\(source): bad safetensors header\(at): \(problem)"
        case let .unsupportedDType(source, tensor, dtype):
            return "\(source): tensor '\(tensor)': unsupported dtype '\(dtype)' (supported: F32, F64, I32)"
        case let .badTensor(source, tensor, problem):
            return "\(source): tensor '\(tensor)': \(problem)"
        case let .duplicateName(source, name):
            return "\(source): duplicate name '\(name)'"
        case let .missingTensor(name):
            return "missing tensor '\(name)'"
        case let .unexpectedTensor(name):
            return "unexpected tensor '\(name)'"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)': shape \(found), expected \(expected)"
        case let .dtypeMismatch(name, expected, found):
            return "tensor '\(name)': dtype \(found), expected \(expected)"
        case let .unknownModel(name, known):
            return "unknown model '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }
}
