/// An integer-only image classifier: raw uint8 pixels in, integer logits out.
public protocol IntegerClassifier: Sendable {
    /// The float model it was converted from (`cnn-gn`, `resnet20-bn`, …).
    var modelName: String { get }
    var precision: IntegerPrecision { get }
    var imageSize: Int { get }
    var inputChannels: Int { get }
    var classes: Int { get }
    /// Integer logits `[batch, classes]` at one common scale for NCHW pixels `[batch, inputChannels, imageSize, imageSize]`.
    func logits(pixels: [UInt8], batch: Int) -> [Int32]
    func write(to path: String) throws
}

extension IntegerClassifier {
    /// Predicted classes (the argmax of ``logits(pixels:batch:)``).
    public func predict(pixels: [UInt8], batch: Int) -> [Int] {
        IntegerCNN.argmax(logits(pixels: pixels, batch: batch), classes: classes)
    }
}

extension IntegerCNN: IntegerClassifier {
    public var inputChannels: Int { stages.first?.inChannels ?? 1 }
}

extension IntegerResNet: IntegerClassifier {}

/// Reading any integer-only model file written by `foedus quantize`.
public enum IntegerModelFile {
    /// The model stored at `path`, whichever architecture its metadata names.
    /// - Throws: ``QuantError/badFile(path:reason:)`` for unreadable, foreign or inconsistent files.
    public static func read(path: String) throws -> any IntegerClassifier {
        let file = try RawTensorFile.load(path: path)
        switch file.metadata["format"] {
        case "foedus-integer-cnn": return try IntegerCNN.read(path: path)
        case "foedus-integer-resnet": return try IntegerResNet.decode(file, path: path)
        case let other: throw QuantError.badFile(path: path, reason: "not a Foedus integer model (metadata format is \(other ?? "missing"))")
        }
    }
}
