import Dispatch
@testable import FoedusKernels
import XCTest

final class RandomStreamTests: XCTestCase {
    private let pathKey = RandomKey(seed: 7).derived("round").derived(3).derived("client").derived(12)

    /// Pinned outputs from an independent Python transcription (Philox4x32-10, counter =
    /// (block low, block high, domain, 0), domains 1 = raw 32-bit, 2 = raw 64-bit,
    /// 3 = Float uniform). A change here breaks the reproducibility of every recorded run.
    func testOutputsAreStable() {
        var stream = RandomStream(key: pathKey)
        let words32 = (0..<6).map { _ in stream.nextUInt32() }
        XCTAssertEqual(words32, [0xB102_2801, 0x8BA1_86DE, 0x31D2_3E3F, 0xF3C0_6B22, 0x8256_EB70, 0xD66D_6A52])
        XCTAssertEqual(stream.offset, 6)

        stream.offset = 0
        let words64 = (0..<3).map { _ in stream.nextUInt64() }
        XCTAssertEqual(words64, [0x4FF7_1D8F_1135_0EA4, 0x4621_CDB2_E6BA_F667, 0xC8F0_8D5B_047C_5F5E])

        var uniform = RandomStream(key: pathKey)
        let floats: [Float] = randomFilled(4, &uniform) { $0.fillUniform($1) }
        XCTAssertEqual(floats, [0.813616156578064, 0.4105718731880188, 0.20772916078567505, 0.5940355062484741])
        var uniformDouble = RandomStream(key: pathKey)
        let doubles: [Double] = randomFilled(3, &uniformDouble) { $0.fillUniform($1) }
        XCTAssertEqual(doubles, [0.38174882427553936, 0.33886185370000765, 0.21734980095020162])
    }

    func testSameKeyAndOffsetGiveSameNumbers() {
        var a = RandomStream(key: pathKey, offset: 17)
        var b = RandomStream(key: pathKey, offset: 17)
        for _ in 0..<1000 {
            XCTAssertEqual(a.nextUInt32(), b.nextUInt32())
            XCTAssertEqual(a.nextUInt64(), b.nextUInt64())
        }
        XCTAssertEqual(a, b)
        let normalA: [Float] = randomFilled(999, &a) { $0.fillNormal($1) }
        let normalB: [Float] = randomFilled(999, &b) { $0.fillNormal($1) }
        assertRandomBitIdentical(normalA, normalB, "normal")
        XCTAssertEqual(a.permutation(50), b.permutation(50))
    }

    func testNextUInt32IsCounterAddressed() {
        var sequential = RandomStream(key: pathKey, offset: 100)
        let words = (0..<40).map { _ in sequential.nextUInt32() }
        for (i, word) in words.enumerated() {
            var seeked = RandomStream(key: pathKey, offset: 100 + UInt64(i))
            XCTAssertEqual(seeked.nextUInt32(), word)
        }
    }

    func testDifferentKeysGiveUnrelatedStreams() {
        let root = RandomKey(seed: 5)
        let keys = [
            root, root.derived("a"), root.derived("b"), root.derived("a").derived("b"),
            root.derived("b").derived("a"), root.derived(0), RandomKey(seed: 6),
        ]
        let sequences = keys.map { key -> [UInt32] in
            var stream = RandomStream(key: key)
            return (0..<1000).map { _ in stream.nextUInt32() }
        }
        for i in sequences.indices {
            for j in sequences.indices where j > i {
                // Oracle: unrelated streams agree at a position with probability 2⁻³².
                let agreements = zip(sequences[i], sequences[j]).filter { $0 == $1 }.count
                XCTAssertLessThanOrEqual(agreements, 1, "keys \(i) and \(j)")
            }
        }
    }

    func testFillAdvancesOffsetByCount() {
        var stream = RandomStream(key: pathKey, offset: 3)
        let _: [Float] = randomFilled(10, &stream) { $0.fillUniform($1) }
        let _: [Double] = randomFilled(7, &stream) { $0.fillNormal($1) }
        let _: [Float] = randomFilled(5, &stream) { $0.fillRademacher($1) }
        let _: [Double] = randomFilled(0, &stream) { $0.fillBernoulli($1, p: 0.5) }
        XCTAssertEqual(stream.offset, 3 + 10 + 7 + 5)
    }

    // MARK: Chunked fills: element i depends only on (key, offset + i).

    func testChunkedFillsEqualOneFill() {
        typealias Floats = UnsafeMutableBufferPointer<Float>
        typealias Doubles = UnsafeMutableBufferPointer<Double>
        assertChunkInvariant("uniform Float") { (s, b: Floats) in s.fillUniform(b, low: -2, high: 3) }
        assertChunkInvariant("uniform Double") { (s, b: Doubles) in s.fillUniform(b, low: -2, high: 3) }
        assertChunkInvariant("normal Float") { (s, b: Floats) in s.fillNormal(b, mean: 1, std: 2) }
        assertChunkInvariant("normal Double") { (s, b: Doubles) in s.fillNormal(b, mean: 1, std: 2) }
        assertChunkInvariant("Rademacher Float") { (s, b: Floats) in s.fillRademacher(b) }
        assertChunkInvariant("Rademacher Double") { (s, b: Doubles) in s.fillRademacher(b) }
        assertChunkInvariant("Bernoulli Float") { (s, b: Floats) in s.fillBernoulli(b, p: 0.3) }
        assertChunkInvariant("Bernoulli Double") { (s, b: Doubles) in s.fillBernoulli(b, p: 0.3) }
        assertChunkInvariant("rounding uniforms") { (s, b: Floats) in s.fillRoundingUniforms(b) }
    }

    /// Seven workers on concurrent threads, each filling its own chunk from its own stream,
    /// produce exactly the single-threaded fill.
    func testConcurrentWorkersReproduceSequentialFill() {
        let count = 100_003
        var sequential = RandomStream(key: pathKey, offset: 11)
        let reference: [Float] = randomFilled(count, &sequential) { $0.fillNormal($1) }

        let key = pathKey
        let workers = 7
        let result = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { result.deallocate() }
        nonisolated(unsafe) let shared = result
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = count * worker / workers
            let end = count * (worker + 1) / workers
            var stream = RandomStream(key: key, offset: 11 + UInt64(start))
            stream.fillNormal(UnsafeMutableBufferPointer(rebasing: shared[start..<end]))
        }
        assertRandomBitIdentical(Array(result), reference, "concurrent normal fill")
    }

    func testFloatAndDoubleSignsAndBernoulliAgree() {
        var a = RandomStream(key: pathKey, offset: 5)
        var b = a
        let signsF: [Float] = randomFilled(1000, &a) { $0.fillRademacher($1) }
        let signsD: [Double] = randomFilled(1000, &b) { $0.fillRademacher($1) }
        XCTAssertEqual(signsF.map(Double.init), signsD)
        let bitsF: [Float] = randomFilled(1000, &a) { $0.fillBernoulli($1, p: 0.25) }
        let bitsD: [Double] = randomFilled(1000, &b) { $0.fillBernoulli($1, p: 0.25) }
        XCTAssertEqual(bitsF.map(Double.init), bitsD)
    }

    func testUniformIntEdgeCases() {
        var stream = RandomStream(key: pathKey)
        for _ in 0..<100 { XCTAssertEqual(stream.uniformInt(below: 1), 0) }
        XCTAssertEqual(stream.offset, 100)
        for n in [2, 3, 1 << 40, (1 << 62) + 1, Int.max] {
            for _ in 0..<1000 {
                let value = stream.uniformInt(below: n)
                XCTAssertTrue(value >= 0 && value < n, "\(value) not below \(n)")
            }
        }
    }

    func testPermutationEdgeCasesAndShuffle() {
        var stream = RandomStream(key: pathKey)
        XCTAssertEqual(stream.permutation(0), [])
        XCTAssertEqual(stream.permutation(1), [0])
        var words = ["a", "b", "c", "d", "e", "f", "g"]
        var copy = stream
        stream.shuffle(&words)
        XCTAssertEqual(words.sorted(), ["a", "b", "c", "d", "e", "f", "g"])
        // shuffle and permutation make the same draws.
        let order = copy.permutation(7)
        XCTAssertEqual(words, order.map { ["a", "b", "c", "d", "e", "f", "g"][$0] })
        XCTAssertEqual(copy, stream)
    }

    private func assertChunkInvariant<T: BinaryFloatingPoint>(
        _ name: String, _ fill: (inout RandomStream, UnsafeMutableBufferPointer<T>) -> Void,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let key = RandomKey(seed: 99).derived(name)
        let count = 1000
        // Cuts at odd positions, mid-block and either side of the 128-element sign blocks.
        let cuts = [0, 1, 3, 6, 13, 127, 128, 129, 257, 640, 999, 1000]
        for start in [0, 1, 2, 3, 5, 130, UInt64.max - 500] as [UInt64] {
            var whole = RandomStream(key: key, offset: start)
            let reference: [T] = randomFilled(count, &whole, fill)
            XCTAssertEqual(whole.offset, start &+ UInt64(count), name, file: file, line: line)

            // Independent workers, each with a stream seeked to its chunk, in reverse order.
            var pieces = [[T]](repeating: [], count: cuts.count - 1)
            for chunk in pieces.indices.reversed() {
                var worker = RandomStream(key: key, offset: start &+ UInt64(cuts[chunk]))
                pieces[chunk] = randomFilled(cuts[chunk + 1] - cuts[chunk], &worker, fill)
            }
            assertRandomBitIdentical(
                pieces.flatMap { $0 }, reference, "\(name) workers at \(start)", file: file, line: line)

            // One stream, filled chunk after chunk.
            var sequential = RandomStream(key: key, offset: start)
            var joined = [T]()
            for chunk in pieces.indices {
                joined += randomFilled(cuts[chunk + 1] - cuts[chunk], &sequential, fill)
            }
            assertRandomBitIdentical(
                joined, reference, "\(name) sequential chunks at \(start)", file: file, line: line)
        }
    }
}

final class RandomUniformKernelTests: XCTestCase {
    func testVectorizedUniformFloatsEqualTheScalarReference() {
        // Oracle: the Swift scalar twin, bit for bit — unaligned offsets, counts that are no
        // multiple of 4 or 64, block indices crossing 2³² (the counter's high word), odd ranges.
        let offsets: [UInt64] = [0, 1, 3, 5, 62, 4 * (1 << 32) - 9, UInt64.max - 300]
        let counts = [64, 65, 127, 200, 257, 1000, 4099]
        for (i, start) in offsets.enumerated() {
            for (j, count) in counts.enumerated() {
                let key = RandomKey(seed: UInt64(17 + i)).derived(UInt64(j))
                let (low, high): (Float, Float) = j % 2 == 0 ? (0, 1) : (-2.5, 7.25)
                var fast = RandomStream(key: key, offset: start), reference = fast
                var a = [Float](repeating: 0, count: count), b = a
                a.withUnsafeMutableBufferPointer { fast.fillUniform($0, low: low, high: high) }
                b.withUnsafeMutableBufferPointer { reference.fillUniformReference($0, low: low, high: high) }
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "offset \(start) count \(count)")
                XCTAssertEqual(fast.offset, reference.offset)
                XCTAssertTrue(a.allSatisfy { $0 >= low && $0 < high })
            }
        }
    }

    func testVectorizedRoundingUniformsEqualTheScalarReference() {
        // Oracle: the Swift scalar twin, bit for bit — offsets that are odd, mid-block and past
        // the 128-element AVX-512 batches, counts that are no multiple of 8 or 128, block indices
        // crossing 2³² and offsets wrapping past 2⁶⁴.
        let offsets: [UInt64] = [0, 1, 3, 7, 9, 126, 8 * (1 << 32) - 13, UInt64.max - 600]
        let counts = [128, 129, 255, 256, 300, 1000, 4099]
        for (i, start) in offsets.enumerated() {
            for (j, count) in counts.enumerated() {
                let key = RandomKey(seed: UInt64(41 + i)).derived(UInt64(j))
                var fast = RandomStream(key: key, offset: start), reference = fast
                var a = [Float](repeating: 0, count: count), b = a
                a.withUnsafeMutableBufferPointer { fast.fillRoundingUniforms($0) }
                b.withUnsafeMutableBufferPointer { reference.fillRoundingUniformsReference($0) }
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "offset \(start) count \(count)")
                XCTAssertEqual(fast.offset, reference.offset)
                // Every value is (2k + 1)·2⁻¹⁷ for an integer k in 0 … 65535.
                XCTAssertTrue(a.allSatisfy { u in
                    let odd = u * 0x1p17
                    return odd == odd.rounded() && odd >= 1 && odd <= 131_071 && Int(odd) % 2 == 1
                }, "offset \(start) count \(count)")
            }
        }
    }

    func testRoundingUniformsAreTheHalvesOfPhiloxWords() {
        // Oracle: Philox4x32 called directly on the documented counter (block index, domain 10,
        // 0): element e is half e & 1 of word e >> 1, low half first, as (2k + 1)·2⁻¹⁷.
        let key = RandomKey(seed: 5).derived("rounding")
        let start: UInt64 = 8 * 1234 + 3
        var stream = RandomStream(key: key, offset: start)
        var u = [Float](repeating: 0, count: 300)
        u.withUnsafeMutableBufferPointer { stream.fillRoundingUniforms($0) }
        let philoxKey = key.philoxKey
        for i in u.indices {
            let e = start + UInt64(i), block = e >> 3
            let words = Philox4x32.block(counter: SIMD4(UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), 10, 0),
                                         key: SIMD2(philoxKey.x, philoxKey.y))
            let word = words[Int((e >> 1) & 3)]
            let k = e & 1 == 0 ? word & 0xFFFF : word >> 16
            XCTAssertEqual(u[i], Float(2 * k + 1) / 131_072, "element \(e)")
        }
    }
}
