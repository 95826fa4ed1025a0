import FoedusKernels
import XCTest

final class RandomKeyTests: XCTestCase {
    /// Pinned values, computed by an independent Python transcription of the derivation
    /// (FNV-1a + SplitMix64 finaliser with the "foedus/…" domain tags). A change here breaks
    /// the reproducibility of every recorded run.
    func testDerivationIsStable() {
        XCTAssertEqual(RandomKey(seed: 7).rawValue, 0x3F46_230C_9E75_DC5D)
        let path = RandomKey(seed: 7).derived("round").derived(3).derived("client").derived(12)
        XCTAssertEqual(path.rawValue, 0xB6F1_06BE_D7DB_5CD8)
        XCTAssertEqual(RandomKey(rawValue: path.rawValue), path)
    }

    func testDerivationIsDeterministic() {
        let a = RandomKey(seed: 42).derived("client").derived(5)
        let b = RandomKey(seed: 42).derived("client").derived(5)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
    }

    func testDerivationIsOrderSensitive() {
        let root = RandomKey(seed: 1)
        XCTAssertNotEqual(root.derived("a").derived("b"), root.derived("b").derived("a"))
        XCTAssertNotEqual(root.derived(1).derived(2), root.derived(2).derived(1))
        XCTAssertNotEqual(root.derived("round").derived(3), root.derived(3).derived("round"))
    }

    func testIntegerAndLabelComponentsAreSeparateDomains() {
        let root = RandomKey(seed: 1)
        XCTAssertNotEqual(root.derived(1), root.derived("1"))
        XCTAssertNotEqual(root.derived(0), root.derived(""))
        XCTAssertNotEqual(root.derived("ab"), root.derived("a").derived("b"))
    }

    func testManyChildrenAreDistinct() {
        let root = RandomKey(seed: 1_000_000)
        var seen = Set<RandomKey>([root])
        for i in 0..<10_000 as Range<UInt64> {
            seen.insert(root.derived(i))
            seen.insert(root.derived("client-\(i)"))
            seen.insert(RandomKey(seed: i))
        }
        XCTAssertEqual(seen.count, 1 + 3 * 10_000)
    }

    /// Oracle: flipping one input bit flips each output bit with probability ½, so the mean
    /// Hamming distance over N = 4096 pairs is 32 with σ = 4/√N = 0.0625 (bound ±0.5 = 8σ),
    /// and each output bit's flip frequency is ½ with σ = 0.5/√N ≈ 0.0078 (bound ±0.06 ≈ 7.7σ).
    func testSeedComponentAndParentBitFlipsAvalanche() {
        assertAvalanche("seed") { base, bit in
            (RandomKey(seed: base), RandomKey(seed: base ^ (1 << bit)))
        }
        assertAvalanche("component") { base, bit in
            let parent = RandomKey(seed: 11)
            return (parent.derived(base), parent.derived(base ^ (1 << bit)))
        }
        assertAvalanche("parent") { base, bit in
            (RandomKey(rawValue: base).derived(5), RandomKey(rawValue: base ^ (1 << bit)).derived(5))
        }
        assertAvalanche("label") { base, bit in
            // Flip one bit of one byte of an 8-byte ASCII label (flipping bit 7 makes an invalid
            // byte, decoded as U+FFFD: still a different label).
            let bytes = (0..<8).map { UInt8(0x41 + (base >> (3 * $0)) & 0x1F) }
            var flipped = bytes
            flipped[Int(bit) / 8] ^= 1 << (bit % 8)
            let parent = RandomKey(seed: 11)
            return (parent.derived(String(decoding: bytes, as: UTF8.self)),
                    parent.derived(String(decoding: flipped, as: UTF8.self)))
        }
    }

    func testLabelHashingUsesExactBytes() {
        let root = RandomKey(seed: 0)
        XCTAssertNotEqual(root.derived("client"), root.derived("Client"))
        XCTAssertNotEqual(root.derived("client"), root.derived("client "))
        XCTAssertEqual(root.derived("é"), root.derived("\u{E9}"))
    }

    private func assertAvalanche(
        _ name: String, _ pair: (UInt64, UInt64) -> (RandomKey, RandomKey),
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var totalDistance = 0
        var flipsPerBit = [Int](repeating: 0, count: 64)
        var pairs = 0
        for base in 0..<64 as Range<UInt64> {
            for bit in 0..<64 as Range<UInt64> {
                let (a, b) = pair(base &* 0x9E37_79B9_7F4A_7C15, bit)
                let difference = a.rawValue ^ b.rawValue
                totalDistance += difference.nonzeroBitCount
                for outputBit in 0..<64 where difference >> outputBit & 1 == 1 {
                    flipsPerBit[outputBit] += 1
                }
                pairs += 1
            }
        }
        let meanDistance = Double(totalDistance) / Double(pairs)
        XCTAssertEqual(meanDistance, 32, accuracy: 0.5, "\(name): mean Hamming distance", file: file, line: line)
        for (outputBit, flips) in flipsPerBit.enumerated() {
            XCTAssertEqual(
                Double(flips) / Double(pairs), 0.5, accuracy: 0.06,
                "\(name): output bit \(outputBit)", file: file, line: line)
        }
    }
}
