#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import FoedusTensor

extension SafeTensors {
    /// The tensors and metadata of the safetensors file at `path`.
    ///
    /// - Throws: ``FoedusNNError/fileNotReadable(path:message:)``, or any error of
    ///   ``decode(_:source:)`` with `path` as the source.
    public static func read(path: String) throws -> (tensors: ParameterSet, metadata: [String: String]) {
        try decode(try readFile(path), source: path)
    }

    /// Writes `tensors` and `metadata` to `path` in safetensors format (see ``encode(_:metadata:)``).
    ///
    /// The bytes go to a temporary file in the same directory, which is flushed to disk and
    /// then renamed over `path`: a crash leaves either the old file or the new one, never a
    /// partial file.
    ///
    /// - Throws: ``FoedusNNError/fileNotWritable(path:message:)``, or
    ///   ``FoedusNNError/duplicateName(source:name:)`` for a tensor named `"__metadata__"`.
    public static func write(_ tensors: ParameterSet, metadata: [String: String] = [:], to path: String) throws {
        if tensors.names.contains(metadataKey) {
            throw FoedusNNError.duplicateName(source: path, name: metadataKey)
        }
        try writeAtomically(try encode(tensors, metadata: metadata), to: path)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        func failure() -> FoedusNNError { .fileNotReadable(path: path, message: systemMessage()) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        // Read to end of file rather than trusting st_size: the file may change meanwhile.
        while true {
            let n = chunk.withUnsafeMutableBytes { Glue.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        func failure(_ what: String) -> FoedusNNError {
            .fileNotWritable(path: path, message: "\(what): \(systemMessage())")
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else {
            throw FoedusNNError.fileNotWritable(path: path, message: "path names a directory")
        }

        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            let suffix = String(UInt64.random(in: .min ... .max), radix: 16)
            temporary = (directory == "/" ? "" : directory) + "/.\(base).\(getpid()).\(suffix).tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw failure("cannot create a temporary file in \(directory)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }

        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glue.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure("write failed")
                close(fd)
                throw error
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let error = failure("fsync failed")
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure("close failed") }
        guard rename(temporary, path) == 0 else { throw failure("rename failed") }
        renamed = true
        // Make the rename itself durable; best effort, the data are already safe.
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func systemMessage() -> String { String(cString: strerror(errno)) }
}

/// The C library's `read` and `write`, which `SafeTensors.read` and `SafeTensors.write` shadow.
private enum Glue {
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Glibc.read(fd, buffer, count)
        #endif
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.write(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
        #else
        Glibc.write(fd, buffer, count)
        #endif
    }
}
