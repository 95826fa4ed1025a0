import CZlib

/// gzip decompression through zlib.
enum Gzip {
    /// True when `bytes` start with the gzip magic number `1f 8b`.
    static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a complete gzip file (one or more concatenated members).
    ///
    /// Throws ``FoedusDataError/corruptGzip(path:offset:message:)`` with zlib's message for a
    /// damaged stream (bad header, bad block, CRC or length mismatch), for a stream cut short,
    /// and for bytes after the last member that do not start another member.
    ///
    /// Complexity: O(output size); the output buffer is sized from the gzip trailer's length
    /// field (bounded, since the file may lie) and grows by doubling.
    static func inflate(_ input: [UInt8], path: String, initialCapacity: Int? = nil) throws(FoedusDataError) -> [UInt8] {
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            throw .corruptGzip(path: path, offset: 0, message: "inflateInit2 failed with status \(initStatus)")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: max(1, initialCapacity ?? Self.initialCapacity(input)))
        var consumed = 0
        var produced = 0
        while true {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: output.count))
            }
            // Pointers into the arrays live only inside these closures; zlib's copies of them
            // are cleared before the closures return.
            let (status, inUsed, outUsed, message) = input.withUnsafeBufferPointer { inBuf in
                output.withUnsafeMutableBufferPointer { outBuf in
                    let inAvail = min(inBuf.count - consumed, Int(UInt32.max))
                    let outAvail = min(outBuf.count - produced, Int(UInt32.max))
                    stream.next_in = inBuf.baseAddress.map { UnsafeMutablePointer(mutating: $0 + consumed) }
                    stream.avail_in = UInt32(inAvail)
                    stream.next_out = outBuf.baseAddress.map { $0 + produced }
                    stream.avail_out = UInt32(outAvail)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let message = stream.msg.map { String(cString: $0) }
                    let used = (inAvail - Int(stream.avail_in), outAvail - Int(stream.avail_out))
                    stream.next_in = nil
                    stream.next_out = nil
                    stream.avail_in = 0
                    stream.avail_out = 0
                    return (status, used.0, used.1, message)
                }
            }
            consumed += inUsed
            produced += outUsed
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                if consumed == input.count {
                    output.removeSubrange(produced...)
                    return output
                }
                // gzip allows several members back to back (`cat a.gz b.gz`).
                guard input.count - consumed >= 2, input[consumed] == 0x1F, input[consumed + 1] == 0x8B else {
                    throw .corruptGzip(path: path, offset: consumed,
                                       message: "\(input.count - consumed) byte(s) of trailing garbage after the gzip stream")
                }
                inflateReset(&stream)
            case Z_BUF_ERROR where inUsed == 0 && outUsed == 0:
                // No progress with room to write: zlib wants input that the file does not have.
                throw .corruptGzip(path: path, offset: consumed,
                                   message: "unexpected end of gzip stream (file truncated?)")
            case Z_BUF_ERROR:
                continue
            default:
                throw .corruptGzip(path: path, offset: consumed,
                                   message: message ?? "zlib status \(status)")
            }
        }
    }

    /// A first guess at the inflated size: the trailer's ISIZE (length mod 2³²), trusted only
    /// up to deflate's maximum ratio (about 1032:1) and 1 GiB.
    static func initialCapacity(_ input: [UInt8]) -> Int {
        let minimum = 64 * 1024
        guard input.count >= 18 else { return minimum }
        let n = input.count
        let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        let bound = min(n * 1032 + 64, 1 << 30)
        // One spare byte so a correct guess finishes without a final, useless doubling.
        return max(minimum, min(isize, bound) + 1)
    }
}
