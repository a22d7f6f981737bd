import Synchronization

/// A value behind a lock: the one lock type in t2 (a reference around the standard library's
/// `Mutex`, so tasks, signal handlers and worker threads can share it).
///
/// ```swift
/// let next = Locked(0)
/// let mine = next.withLock { n in defer { n += 1 }; return n }
/// ```
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: Mutex<Value>

    /// A lock guarding `value`.
    public init(_ value: sending Value) { mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value and returns what it returns.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { (value: inout sending Value) throws -> sending Result in
            nonisolated(unsafe) let result = try body(&value)
            return result
        }
    }
}
