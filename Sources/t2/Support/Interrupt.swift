import Dispatch
import Foundation
import Optimization

/// Turns the first Ctrl-C (SIGINT) into a call of `onInterrupt`; a second one exits at once.
final class InterruptHandler: Sendable {
    private let source: Locked<(any DispatchSourceSignal)?>

    init(onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Locked(0)
        s.setEventHandler {
            let n = count.withLock { c -> Int in
                c += 1
                return c
            }
            if n == 1 {
                Console.warn("stopping: finishing the results file (Ctrl-C again to quit at once)")
                onInterrupt()
            } else {
                exit(130)
            }
        }
        s.resume()
        source = Locked(s)
    }

    func stop() {
        source.withLock {
            $0?.cancel()
            $0 = nil
        }
        signal(SIGINT, SIG_DFL)
    }
}
