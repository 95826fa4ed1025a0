extension DatasetCatalog {
    /// Size of a rank-1 IDX header: where the first label byte sits.
    static let labelHeaderSize = 8

    static func readIDXPair(_ entry: CatalogEntry, imagesPath: String, labelsPath: String,
                            transposed: Bool, labelBase: Int) throws(FoedusDataError) -> Dataset {
        let imageFile = try IDXFile(contentsOf: imagesPath)
        guard imageFile.dimensions.count == 3 else {
            throw .unexpectedRank(path: imagesPath, expected: 3, dimensions: imageFile.dimensions)
        }
        let (count, rows, columns) = (imageFile.dimensions[0], imageFile.dimensions[1], imageFile.dimensions[2])
        guard rows > 0, columns > 0 else {
            throw .invalidHeader(path: imagesPath, offset: 8, reason: "image extents \(rows)×\(columns) must be positive")
        }
        let labelFile = try IDXFile(contentsOf: labelsPath)
        guard labelFile.dimensions.count == 1 else {
            throw .unexpectedRank(path: labelsPath, expected: 1, dimensions: labelFile.dimensions)
        }
        guard labelFile.count == count else {
            throw .countMismatch(imagesPath: imagesPath, images: count, labelsPath: labelsPath, labels: labelFile.count)
        }
        let valid = labelBase...(labelBase + entry.classes - 1)
        var labels = [Int32](repeating: 0, count: count)
        for (i, stored) in labelFile.bytes.enumerated() {
            let label = Int(stored)
            guard valid.contains(label) else {
                throw .labelOutOfRange(path: labelsPath, offset: labelHeaderSize + i, label: label, valid: valid)
            }
            labels[i] = Int32(label - labelBase)
        }
        if transposed {
            return Dataset(unchecked: entry.name, images: transposeEach(imageFile.bytes, count: count, rows: rows, columns: columns),
                           labels: labels, channels: 1, height: columns, width: rows, classes: entry.classes)
        }
        return Dataset(unchecked: entry.name, images: imageFile.bytes, labels: labels,
                       channels: 1, height: rows, width: columns, classes: entry.classes)
    }

    /// Transposes each `rows × columns` image into `columns × rows`.
    static func transposeEach(_ bytes: [UInt8], count: Int, rows: Int, columns: Int) -> [UInt8] {
        let size = rows * columns
        var result = [UInt8](repeating: 0, count: bytes.count)
        for image in 0..<count {
            let base = image * size
            for r in 0..<rows {
                for c in 0..<columns {
                    result[base + c * rows + r] = bytes[base + r * columns + c]
                }
            }
        }
        return result
    }

    static func readCIFAR(_ entry: CatalogEntry, paths: [String]) throws(FoedusDataError) -> Dataset {
        var images: [UInt8] = []
        var labels: [Int32] = []
        for path in paths {
            let batch = try CIFARBinary(contentsOf: path)
            images.append(contentsOf: batch.images)
            labels.append(contentsOf: batch.labels)
        }
        return Dataset(unchecked: entry.name, images: images, labels: labels,
                       channels: CIFARBinary.channels, height: CIFARBinary.height, width: CIFARBinary.width,
                       classes: entry.classes)
    }
}
