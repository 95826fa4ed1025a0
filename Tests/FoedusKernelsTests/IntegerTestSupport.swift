import FoedusKernels

/// Seeded integer test data drawn from ``RandomStream``.
struct IntegerTestData {
    var stream: RandomStream

    init(seed: UInt64) { stream = RandomStream(key: RandomKey(seed: seed)) }

    /// Uniform integers in `range` (modulo bias is irrelevant for test data).
    mutating func ints(_ count: Int, in range: ClosedRange<Int>) -> [Int] {
        let width = UInt64(range.upperBound - range.lowerBound + 1)
        return (0..<count).map { _ in range.lowerBound + Int(stream.nextUInt64() % width) }
    }

    mutating func int8s(_ count: Int, in range: ClosedRange<Int> = -128...127) -> [Int8] {
        ints(count, in: range).map { Int8($0) }
    }

    mutating func uint8s(_ count: Int, in range: ClosedRange<Int> = 0...255) -> [UInt8] {
        ints(count, in: range).map { UInt8($0) }
    }

    mutating func int32s(_ count: Int, in range: ClosedRange<Int>) -> [Int32] {
        ints(count, in: range).map { Int32($0) }
    }

    mutating func doubles(_ count: Int, low: Double, high: Double) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: low, high: high) }
        return values
    }
}

/// The backends to run explicitly (the CPU may resolve several to the same one).
let explicitBackends: [IntegerBackend] = [.scalar, .avx2, .vnni, .automatic]
