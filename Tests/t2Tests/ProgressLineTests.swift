import Foundation
import Optimization
import Testing

@testable import t2

/// The one progress display every long command uses (fit, passk, cost --validate, calibrate).
@Suite("progress on standard error")
struct ProgressLineTests {
    /// What a ProgressLine wrote, in order.
    final class Sink: Sendable {
        let lines = Locked([String]())
        var write: @Sendable (String) -> Void { { [lines] text in lines.withLock { $0.append(text) } } }
        var all: [String] { lines.withLock { $0 } }
        /// The lines with the elapsed seconds (which a loaded machine may round either way) as "N".
        var timeless: [String] {
            all.map { $0.replacing(/\(\d+ s\)/, with: "(N s)") }
        }
    }

    @Test("silent during the first second, on a terminal and in a log")
    func quietStart() {
        for terminal in [true, false] {
            let sink = Sink()
            let line = ProgressLine("t2 fit", logEvery: 5, terminal: terminal, write: sink.write)
            line.update("fitting 1/10")
            line.update("fitting 10/10", force: true)
            line.finish()
            #expect(sink.all.isEmpty, "terminal \(terminal): \(sink.all)")
        }
    }

    @Test("on a terminal: drawn in place with the elapsed time, erased at the end, silent after")
    func terminal() {
        let sink = Sink()
        let line = ProgressLine("passk", terminal: true, start: Date(timeIntervalSinceNow: -3), write: sink.write)
        line.update("fits 1/4")
        // (The 0.1 s gap between redraws is the same rule as the log's 5 s, tested below with a
        // margin a loaded machine cannot eat.)
        line.finish()
        line.update("fits 3/4")  // after finish: nothing
        #expect(sink.timeless == ["\r\u{1B}[Kpassk: fits 1/4 (N s)", "\r\u{1B}[K"])
    }

    @Test("in a log: plain lines, no carriage return, at most one per logEvery unless forced; none without logEvery")
    func log() {
        let sink = Sink()
        let line = ProgressLine(
            "t2 fit",
            logEvery: 5,
            terminal: false,
            start: Date(timeIntervalSinceNow: -2),
            write: sink.write
        )
        line.update("bootstrap 1/100 (1%)")
        line.update("bootstrap 2/100 (2%)")
        line.update("bootstrap 100/100 (100%)", force: true)
        line.finish()
        #expect(sink.timeless == ["t2 fit: bootstrap 1/100 (1%) (N s)\n", "t2 fit: bootstrap 100/100 (100%) (N s)\n"])

        let quiet = Sink()
        let silent = ProgressLine("passk", terminal: false, start: Date(timeIntervalSinceNow: -2), write: quiet.write)
        silent.update("fits 1/4", force: true)
        silent.finish()
        #expect(quiet.all.isEmpty)
    }

    @Test("starting(_:) says what is happening after a second if nothing else has")
    func starting() async throws {
        // A line that reported before its second was up never says it is starting. Scheduled first,
        // so by the time the other line has printed, its own timer has fired too.
        let busy = Sink()
        let reported = ProgressLine("t2 fit", logEvery: 5, terminal: false, write: busy.write)
        reported.starting("reading and checking runs.csv")
        reported.update("fitting 1/2")  // too early to print, but it counts as reported

        let sink = Sink()
        let line = ProgressLine("t2 fit", logEvery: 5, terminal: false, write: sink.write)
        line.starting("reading and checking runs.csv")
        // Polled, not slept for a fixed time: a loaded machine fires the timer late.
        let deadline = Date().addingTimeInterval(30)
        while sink.all.isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        line.finish()
        reported.finish()
        #expect(sink.all == ["t2 fit: reading and checking runs.csv…\n"])
        #expect(busy.all.isEmpty)
    }
}
