import Foundation
import Optimization

/// A one-line progress display on standard error for work that may take more than a second.
///
/// Nothing is printed during the first second (quick runs stay silent), nothing at all when
/// standard error is not a terminal (logs and pipes get no carriage returns), and never anything
/// on standard output. The line is redrawn in place (`\r`) at most ten times a second and erased
/// by ``finish()``. Thread-safe: workers may call ``update(_:)`` concurrently.
final class ProgressLine: Sendable {
    private struct State {
        var lastDraw = 0.0
        var drawn = false
    }
    private let start = Date()
    private let enabled: Bool
    private let prefix: String
    private let state = Locked(State())

    /// - Parameters:
    ///   - prefix: what the line starts with (the command's name).
    ///   - enabled: override for tests; by default only when standard error is a terminal.
    init(_ prefix: String, enabled: Bool = Console.stderrIsTerminal) {
        self.prefix = prefix
        self.enabled = enabled
    }

    /// Shows `message` if a second has passed since the start and 0.1 s since the last redraw.
    func update(_ message: @autoclosure () -> String) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        guard elapsed >= 1 else { return }
        let draw = state.withLock { s -> Bool in
            guard elapsed - s.lastDraw >= 0.1 else { return false }
            s.lastDraw = elapsed
            s.drawn = true
            return true
        }
        guard draw else { return }
        let text = "\(prefix): \(message()) (\(String(format: "%.0f", elapsed)) s)"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    /// Erases the line if one was drawn.
    func finish() {
        let drawn = state.withLock { s -> Bool in
            defer { s.drawn = false }
            return s.drawn
        }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
