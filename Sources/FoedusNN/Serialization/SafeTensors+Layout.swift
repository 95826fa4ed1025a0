extension SafeTensors {
    /// The entries sorted by data offset (ties: header order), after checking that they tile
    /// the buffer `dataStart..<fileLength` exactly.
    ///
    /// When the tensors tile a prefix of the buffer consistently but it is longer than the
    /// file holds, the file was cut short: ``FoedusNNError/truncated(source:expectedBytes:actualBytes:)``.
    /// When they do not tile, a tensor reaching past the buffer is reported first as out of
    /// range, then the first overlap or gap in offset order.
    static func checkLayout(_ entries: [HeaderEntry], dataStart: Int, fileLength: Int, source: String) throws -> [HeaderEntry] {
        let bufferLength = fileLength - dataStart
        let sorted = entries.enumerated().sorted { a, b in
            (a.element.begin, a.element.end, a.offset) < (b.element.begin, b.element.end, b.offset)
        }.map(\.element)

        // The first tiling problem in offset order; `position` is the end of the bytes covered
        // so far and `owner` the tensor that covers its last byte.
        var tilingProblem: (tensor: String, problem: TensorProblem)?
        var position = 0
        var owner: String?
        for entry in sorted where tilingProblem == nil {
            if entry.begin < position, let owner {
                tilingProblem = (entry.name, .overlap(other: owner, begin: entry.begin, otherEnd: position))
            } else if entry.begin > position {
                tilingProblem = (entry.name, .gapBefore(from: position, to: entry.begin))
            } else {
                // An empty tensor covers nothing, so it does not take over the end.
                if entry.end > position || owner == nil { owner = entry.name }
                position = entry.end
            }
        }

        if let tilingProblem {
            if let outside = sorted.first(where: { $0.end > bufferLength }) {
                throw FoedusNNError.badTensor(source: source, tensor: outside.name, problem:
                    .offsetsOutOfRange(begin: outside.begin, end: outside.end, bufferLength: bufferLength))
            }
            throw FoedusNNError.badTensor(source: source, tensor: tilingProblem.tensor, problem: tilingProblem.problem)
        }
        if position > bufferLength {
            let (expected, overflow) = dataStart.addingReportingOverflow(position)
            if overflow, let last = sorted.last {
                throw FoedusNNError.badTensor(source: source, tensor: last.name, problem:
                    .offsetsOutOfRange(begin: last.begin, end: last.end, bufferLength: bufferLength))
            }
            throw FoedusNNError.truncated(source: source, expectedBytes: expected, actualBytes: fileLength)
        }
        if position < bufferLength {
            guard let owner else {
                throw FoedusNNError.badHeader(source: source, offset: dataStart, problem: .unusedBytes(count: bufferLength))
            }
            throw FoedusNNError.badTensor(source: source, tensor: owner, problem: .gapAfter(from: position, to: bufferLength))
        }
        return sorted
    }
}
