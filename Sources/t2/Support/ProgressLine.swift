import Foundation
import Optimization

/// A progress display on standard error for work that may take more than a second.
///
/// Nothing is printed during the first second (quick runs stay silent) and never anything on
/// standard output. On a terminal the line is redrawn in place (`\r`) at most ten times a second
/// and erased by ``finish()``. When standard error is not a terminal (a log, a pipe, CI) there are
/// no carriage returns: by default nothing is printed, or, for commands that can run for minutes
/// (`t2 fit` on a million rows), one plain line every `logEvery` seconds.
/// Thread-safe: workers may call ``update(_:)`` concurrently.
final class ProgressLine: Sendable {
    private struct State {
        var lastDraw = -Double.infinity
        var drawn = false
        var reported = false
        var finished = false
    }
    private let start: Date
    private let terminal: Bool
    private let logEvery: Double?
    private let prefix: String
    private let write: @Sendable (String) -> Void
    private let state = Locked(State())

    /// - Parameters:
    ///   - prefix: what the line starts with (the command's name).
    ///   - logEvery: when standard error is not a terminal, print a plain line at most this often
    ///     (seconds); nil (the default) prints nothing there.
    ///   - terminal: whether to redraw in place; by default, whether standard error is a terminal.
    ///   - start: when the work began (tests pass an earlier date to skip the silent first second).
    ///   - write: where the text goes (tests capture it); by default standard error.
    init(
        _ prefix: String,
        logEvery: Double? = nil,
        terminal: Bool = Console.stderrIsTerminal,
        start: Date = Date(),
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.prefix = prefix
        self.logEvery = logEvery
        self.terminal = terminal
        self.start = start
        self.write = write
    }

    private var enabled: Bool { terminal || logEvery != nil }

    /// Shows `message` if a second has passed since the start and enough time since the last line
    /// (0.1 s on a terminal, `logEvery` otherwise); `force` draws within that gap too (a final count).
    func update(_ message: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let gap = terminal ? 0.1 : (logEvery ?? .infinity)
        let draw = state.withLock { s -> Bool in
            s.reported = true
            guard !s.finished, elapsed >= 1, force || elapsed - s.lastDraw >= gap else { return false }
            s.lastDraw = elapsed
            s.drawn = true
            return true
        }
        guard draw else { return }
        emit("\(message()) (\(String(format: "%.0f", elapsed)) s)")
    }

    /// One line: redrawn in place on a terminal, appended with a newline in a log.
    private func emit(_ message: String) {
        let text = "\(prefix): \(message)"
        write(terminal ? "\r\u{1B}[K" + text : text + "\n")
    }

    /// Says `activity` (e.g. "reading runs.csv") once, after a second, if nothing has been reported
    /// by then: reading a million-row file takes longer than that before the work reports anything.
    func starting(_ activity: String) {
        guard enabled else { return }
        let delay = max(0, 1 - Date().timeIntervalSince(start))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            let show = state.withLock { s -> Bool in
                guard !s.finished, !s.reported else { return false }
                s.drawn = true
                return true
            }
            if show { emit("\(activity)…") }
        }
    }

    /// Erases the line on a terminal if one was drawn; nothing is printed after this.
    func finish() {
        let drawn = state.withLock { s -> Bool in
            defer {
                s.drawn = false
                s.finished = true
            }
            return s.drawn
        }
        if drawn, terminal { write("\r\u{1B}[K") }
    }
}
