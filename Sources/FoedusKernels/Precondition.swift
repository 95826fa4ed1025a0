// Optimised builds drop the messages of the standard library's precondition failures. Shape and
// index errors are programmer errors that must still say which op and which shapes, so this
// module's preconditions keep their message in every build configuration.

/// Traps with `message` when `condition` is false, in every build configuration.
@inline(__always)
@usableFromInline
func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = "",
                  file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}

/// Traps with `message`, in every build configuration.
@usableFromInline
func preconditionFailure(_ message: @autoclosure () -> String = "", file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
