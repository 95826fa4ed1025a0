import Foundation

/// Reads a dataset file whole, inflating it when it is gzip-compressed.
enum DataFile {
    /// The file's content: its bytes, or the inflated bytes when the file starts with the gzip
    /// magic `1f 8b` (whatever its name; an IDX file starts with `00 00`, a CIFAR record with a
    /// label below 10, so neither can be mistaken for gzip).
    static func contents(of path: String) throws(FoedusDataError) -> [UInt8] {
        let raw = try readBytes(path)
        return Gzip.hasMagic(raw) ? try Gzip.inflate(raw, path: path) : raw
    }

    static func readBytes(_ path: String) throws(FoedusDataError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw .unreadableFile(path: path, reason: "is a directory")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
            return [UInt8](data)
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    /// True when `path` names an existing regular file (not a directory).
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
