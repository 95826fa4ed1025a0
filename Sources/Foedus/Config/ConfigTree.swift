import Foundation
import Yams

/// A parsed YAML mapping read field by field: every read is checked for type and range, and
/// fields nobody read are reported as unknown, with their dotted path.
struct ConfigTree {
    let values: [String: Any]
    let path: String
    private(set) var consumed: Set<String> = []

    init(_ values: [String: Any], path: String = "") {
        self.values = values
        self.path = path
    }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func raw(_ key: String) -> Any? {
        consumed.insert(key)
        guard let v = values[key], !(v is NSNull) else { return nil }
        return v
    }

    mutating func int(_ key: String, default d: Int? = nil, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let v = raw(key) else {
            if let d { return d }
            throw FoedusError.invalidConfig(path: qualified(key), reason: "required integer is missing")
        }
        guard let i = v as? Int else { throw FoedusError.invalidConfig(path: qualified(key), reason: "expected an integer, got '\(v)'") }
        if let range, !range.contains(i) { throw FoedusError.invalidConfig(path: qualified(key), reason: "\(i) outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    mutating func double(_ key: String, default d: Double? = nil, range: ClosedRange<Double>? = nil) throws -> Double {
        guard let v = raw(key) else {
            if let d { return d }
            throw FoedusError.invalidConfig(path: qualified(key), reason: "required number is missing")
        }
        let x: Double
        if let i = v as? Int { x = Double(i) } else if let f = v as? Double { x = f } else {
            throw FoedusError.invalidConfig(path: qualified(key), reason: "expected a number, got '\(v)'")
        }
        guard x.isFinite else { throw FoedusError.invalidConfig(path: qualified(key), reason: "must be finite") }
        if let range, !range.contains(x) { throw FoedusError.invalidConfig(path: qualified(key), reason: "\(x) outside \(range.lowerBound)...\(range.upperBound)") }
        return x
    }

    mutating func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = raw(key) else { return d }
        guard let b = v as? Bool else { throw FoedusError.invalidConfig(path: qualified(key), reason: "expected true or false, got '\(v)'") }
        return b
    }

    mutating func string(_ key: String, default d: String? = nil, allowed: [String]? = nil) throws -> String {
        guard let v = raw(key) else {
            if let d { return d }
            throw FoedusError.invalidConfig(path: qualified(key), reason: "required string is missing")
        }
        let s: String
        if let str = v as? String { s = str } else if let i = v as? Int { s = String(i) } else if let f = v as? Double { s = String(f) } else {
            throw FoedusError.invalidConfig(path: qualified(key), reason: "expected a string, got '\(v)'")
        }
        if let allowed, !allowed.contains(s) {
            throw FoedusError.invalidConfig(path: qualified(key), reason: "'\(s)' is not one of \(allowed.joined(separator: ", "))")
        }
        return s
    }

    mutating func optionalString(_ key: String) throws -> String? {
        raw(key) == nil ? nil : try string(key)
    }

    mutating func child(_ key: String) throws -> ConfigTree {
        guard let v = raw(key) else { return ConfigTree([:], path: qualified(key)) }
        guard let map = v as? [String: Any] else { throw FoedusError.invalidConfig(path: qualified(key), reason: "expected a mapping") }
        return ConfigTree(map, path: qualified(key))
    }

    /// Throws for the first field that was never read.
    func rejectUnknown() throws {
        if let extra = values.keys.sorted().first(where: { !consumed.contains($0) }) {
            throw FoedusError.unknownConfigField(path: qualified(extra), known: Array(consumed))
        }
    }

    /// Parses YAML text into a mapping.
    static func parse(_ text: String, source: String) throws -> [String: Any] {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch { throw FoedusError.malformedConfig(source: source, reason: "\(error)") }
        guard let loaded else { return [:] }
        guard let map = loaded as? [String: Any] else { throw FoedusError.malformedConfig(source: source, reason: "the top level must be a mapping") }
        return map
    }

    /// Applies `a.b.c=value` overrides; values are parsed as YAML scalars (`0.4`, `true`, `fedavg`).
    static func applying(_ overrides: [String], to tree: [String: Any]) throws -> [String: Any] {
        var out = tree
        for text in overrides {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw FoedusError.invalidOverride(text, reason: "expected key=value") }
            let keys = text[..<eq].split(separator: ".").map(String.init)
            let valueText = String(text[text.index(after: eq)...])
            let value: Any
            do { value = try Yams.load(yaml: valueText) ?? NSNull() } catch { throw FoedusError.invalidOverride(text, reason: "value is not a YAML scalar") }
            out = try set(out, keys[...], value, text)
        }
        return out
    }

    private static func set(_ map: [String: Any], _ keys: ArraySlice<String>, _ value: Any, _ text: String) throws -> [String: Any] {
        var m = map
        guard let first = keys.first else { return m }
        if keys.count == 1 {
            m[first] = value
        } else {
            let inner = m[first] ?? [String: Any]()
            guard let innerMap = inner as? [String: Any] else { throw FoedusError.invalidOverride(text, reason: "'\(first)' is not a mapping") }
            m[first] = try set(innerMap, keys.dropFirst(), value, text)
        }
        return m
    }
}
