extension Dataset {
    /// The examples at `indices`, in that order (repeats allowed), with the same name, image
    /// geometry and class count.
    ///
    /// - Precondition: every index is in `0 ..< count`.
    /// - Complexity: O(`indices.count * imageByteCount`).
    public func subset(_ indices: [Int]) -> Dataset {
        let size = imageByteCount
        var newImages = [UInt8]()
        newImages.reserveCapacity(indices.count * size)
        var newLabels = [Int32]()
        newLabels.reserveCapacity(indices.count)
        for index in indices {
            precondition(index >= 0 && index < count, "[Dataset.subset] index \(index) outside 0..<\(count)")
            newImages.append(contentsOf: images[(index * size)..<((index + 1) * size)])
            newLabels.append(labels[index])
        }
        return Dataset(unchecked: name, images: newImages, labels: newLabels,
                       channels: channels, height: height, width: width, classes: classes)
    }

    /// The number of examples of each class: element `k` counts label `k`; `classes` elements.
    /// - Complexity: O(`count`).
    public func classHistogram() -> [Int] {
        var histogram = [Int](repeating: 0, count: classes)
        for label in labels { histogram[Int(label)] += 1 }
        return histogram
    }

    /// The indices of the examples of class `label`, ascending.
    /// - Complexity: O(`count`).
    public func indices(ofClass label: Int) -> [Int] {
        labels.indices.filter { Int(labels[$0]) == label }
    }
}
