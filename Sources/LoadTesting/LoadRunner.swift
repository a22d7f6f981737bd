import Foundation
import Optimization

/// How requests are issued during one load level.
public enum LoadPattern: Sendable, Equatable, CustomStringConvertible {
    /// Closed loop: `n` workers, each sending its next request as soon as the previous one ends.
    case concurrency(Int)
    /// Open loop: arrivals at `rate` requests per second, evenly spaced or as a Poisson process
    /// (exponential gaps from the seeded generator), whatever the server's speed.
    case rate(Double, poisson: Bool)

    public var description: String {
        switch self {
        case .concurrency(let n): return "concurrency=\(n)"
        case .rate(let r, let poisson): return "rate=\(r)/s\(poisson ? " poisson" : "")"
        }
    }
}

/// When a load level stops issuing requests (in-flight requests then finish, bounded by the
/// request timeouts). At least one of the two must be set.
public struct StopCondition: Sendable, Equatable {
    public var requests: Int?
    public var durationSeconds: Double?

    public init(requests: Int? = nil, durationSeconds: Double? = nil) {
        self.requests = requests
        self.durationSeconds = durationSeconds
    }
}

/// The measured requests of one load level, with the client's own resource use.
public struct LevelResult: Sendable {
    public var pattern: LoadPattern
    /// Finished requests (successes and failures; requests cancelled by Ctrl-C are left out).
    public var records: [RequestRecord]
    /// Client CPU time (user + system, whole process) spent during the level.
    public var clientCPUSeconds: Double
    /// Whether the level was cut short (Ctrl-C).
    public var interrupted: Bool

    public init(pattern: LoadPattern, records: [RequestRecord], clientCPUSeconds: Double, interrupted: Bool) {
        self.pattern = pattern
        self.records = records
        self.clientCPUSeconds = clientCPUSeconds
        self.interrupted = interrupted
    }
}

/// Drives one server with a pattern of requests and collects per-request records.
public struct LoadRunner: Sendable {
    public let client: StreamingClient
    public let settings: GenerationSettings
    public let prompts: PromptSource
    public let seed: UInt64
    /// Upper bound on requests in flight in open-loop mode (arrivals beyond it wait, and the wait
    /// is visible as client queue time).
    public var maxInFlight: Int = 4096

    public init(client: StreamingClient, settings: GenerationSettings, prompts: PromptSource, seed: UInt64) {
        self.client = client
        self.settings = settings
        self.prompts = prompts
        self.seed = seed
    }

    func request(_ index: Int) -> StreamingRequest {
        StreamingRequest(
            path: settings.endpoint.path,
            body: settings.body(prompt: prompts.prompt(index: index), seed: seed &+ UInt64(index))
        )
    }

    /// Sends `count` requests at `concurrency` and discards them (server warm-up).
    public func warmUp(count: Int, concurrency: Int) async {
        guard count > 0 else { return }
        _ = await runClosedLoop(
            concurrency: min(concurrency, count),
            stop: StopCondition(requests: count),
            indexOffset: 1_000_000_000,
            sink: nil
        )
    }

    /// Runs one level. `onRecord` sees every finished request as it finishes (for incremental
    /// results); the returned result holds them all. Cancelling the calling task stops the level:
    /// requests in flight are cancelled and left out.
    public func run(
        _ pattern: LoadPattern,
        stop: StopCondition,
        onRecord: (@Sendable (RequestRecord) -> Void)? = nil
    ) async -> LevelResult {
        let cpuStart = ProcessCPU.seconds()
        let records: [RequestRecord]
        switch pattern {
        case .concurrency(let n):
            records = await runClosedLoop(concurrency: n, stop: stop, indexOffset: 0, sink: onRecord)
        case .rate(let rate, let poisson):
            records = await runOpenLoop(rate: rate, poisson: poisson, stop: stop, sink: onRecord)
        }
        return LevelResult(
            pattern: pattern,
            records: records.sorted { $0.index < $1.index },
            clientCPUSeconds: ProcessCPU.seconds() - cpuStart,
            interrupted: Task.isCancelled
        )
    }

    private func runClosedLoop(
        concurrency: Int,
        stop: StopCondition,
        indexOffset: Int,
        sink: (@Sendable (RequestRecord) -> Void)?
    ) async -> [RequestRecord] {
        let next = Locked(0)
        let collected = Locked<[RequestRecord]>([])
        let deadline = stop.durationSeconds.map { MonotonicClock.now() &+ UInt64($0 * 1e9) }
        let limit = stop.requests
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while !Task.isCancelled {
                        if let deadline, MonotonicClock.now() >= deadline { break }
                        let index = next.withLock { n -> Int? in
                            if let limit, n >= limit { return nil }
                            n += 1
                            return n - 1
                        }
                        guard let index else { break }
                        let record = await client.send(request(index + indexOffset), index: index)
                        if record.failure?.kind == .cancelled { break }
                        collected.withLock { $0.append(record) }
                        sink?(record)
                    }
                }
            }
        }
        return collected.withLock { $0 }
    }

    private func runOpenLoop(
        rate: Double,
        poisson: Bool,
        stop: StopCondition,
        sink: (@Sendable (RequestRecord) -> Void)?
    ) async -> [RequestRecord] {
        let collected = Locked<[RequestRecord]>([])
        let start = MonotonicClock.now()
        let deadline = stop.durationSeconds.map { start &+ UInt64($0 * 1e9) }
        var rng = SeededGenerator(seed: seed ^ 0x5EED_A221_7A15)
        let cap = maxInFlight
        await withTaskGroup(of: Void.self) { group in
            var due = Double(start)
            var inFlight = 0
            var index = 0
            while !Task.isCancelled {
                if let limit = stop.requests, index >= limit { break }
                if index > 0 {
                    let gap = poisson ? -Foundation.log(1 - rng.nextUniform()) / rate : 1 / rate
                    due += gap * 1e9
                }
                let dueNanos = UInt64(due)
                if let deadline, dueNanos >= deadline { break }
                let now = MonotonicClock.now()
                if dueNanos > now {
                    do { try await Task.sleep(nanoseconds: dueNanos - now) } catch { break }
                }
                while inFlight >= cap {
                    await group.next()
                    inFlight -= 1
                }
                let i = index
                group.addTask {
                    let record = await client.send(request(i), index: i, scheduledNanos: dueNanos)
                    if record.failure?.kind == .cancelled { return }
                    collected.withLock { $0.append(record) }
                    sink?(record)
                }
                inFlight += 1
                index += 1
            }
            await group.waitForAll()
        }
        return collected.withLock { $0 }
    }
}

/// The CPU time this process has used (user + system), from getrusage.
public enum ProcessCPU {
    public static func seconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
