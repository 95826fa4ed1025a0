import Foundation
import GRDB

/// Reads the columns of one stored row, turning any bad value into `StoreError.invalidStoredValue`
/// naming the table, column and run (GRDB's non-throwing subscripts would crash instead).
struct StoredRow {
    let row: Row
    let table: String
    let runID: String

    func value<T: DatabaseValueConvertible>(_ column: String, as type: T.Type = T.self) throws(StoreError) -> T {
        do {
            return try row.decode(T.self, forColumn: column)
        } catch {
            throw .invalidStoredValue(table: table, column: column, runID: runID, reason: RunStore.describe(error))
        }
    }

    func json<T: Decodable>(_ column: String, as type: T.Type) throws(StoreError) -> T {
        let text: String = try value(column)
        return try StoreJSON.decode(type, from: text, table: table, column: column, runID: runID)
    }
}

/// JSON text for the `*_json` columns: sorted keys, and non-finite numbers as strings because a
/// diverged run legitimately reports a NaN or infinite loss.
enum StoreJSON {
    static func encode<T: Encodable>(_ value: T, table: String, column: String, runID: String) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw .invalidStoredValue(table: table, column: column, runID: runID, reason: "cannot encode as JSON: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String, table: String, column: String, runID: String) throws(StoreError) -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw .invalidStoredValue(table: table, column: column, runID: runID, reason: "not valid JSON for \(type): \(error)")
        }
    }
}
