import FoedusTensor

/// The models Foedus knows by name, as used on the command line and in configs.
public enum ModelCatalog {
    /// Names accepted by ``make(_:classes:inputChannels:imageSize:width:)``.
    public static let names = ["cnn-gn", "cnn-bn", "resnet20-gn", "resnet20-bn"]

    /// The model called `name`.
    /// - Throws: ``FoedusNNError/unknownModel(name:known:)`` for an unknown name.
    public static func make(_ name: String, classes: Int = 10, inputChannels: Int = 1, imageSize: Int = 28, width: Int = 16) throws -> any Layer {
        switch name {
        case "cnn-gn": return SmallCNN(norm: .group, inputChannels: inputChannels, imageSize: imageSize, classes: classes)
        case "cnn-bn": return SmallCNN(norm: .batch, inputChannels: inputChannels, imageSize: imageSize, classes: classes)
        case "resnet20-gn": return ResNet20(norm: .group, width: width, classes: classes, inputChannels: inputChannels)
        case "resnet20-bn": return ResNet20(norm: .batch, width: width, classes: classes, inputChannels: inputChannels)
        default: throw FoedusNNError.unknownModel(name: name, known: names)
        }
    }
}
