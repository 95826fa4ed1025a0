extension DatasetCatalog {
    static func searchDirectories(_ entry: CatalogEntry, dataDirectory: String?, environment: [String: String]) -> [String] {
        var result: [String] = []
        func add(_ root: String, _ subdirectories: [String]) {
            for sub in subdirectories {
                let directory = sub.isEmpty ? root : join(root, sub)
                if !result.contains(directory) { result.append(directory) }
            }
        }
        if let dataDirectory {
            add(dataDirectory, entry.subdirectories)
            return result
        }
        let roots = (environment[environmentVariable] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        for root in roots { add(root, entry.subdirectories) }
        add(systemDirectory, entry.systemSubdirectories)
        return result
    }

    /// The first existing file among `directories × alternatives × {"", ".gz"}`.
    static func locate(_ alternatives: [String], of dataset: String, in directories: [String]) throws(FoedusDataError) -> String {
        var tried: [String] = []
        for directory in directories {
            for base in alternatives {
                for suffix in ["", ".gz"] {
                    let path = join(directory, base + suffix)
                    if DataFile.isFile(path) { return path }
                    tried.append(path)
                }
            }
        }
        throw .fileNotFound(dataset: dataset, file: alternatives[0] + "(.gz)", searched: tried)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
