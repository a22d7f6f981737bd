import Foundation
import Optimization

/// What a `t2 bench` run does: fixed load levels, or a capacity search.
public enum BenchSchedule: Sendable, Equatable {
    /// These levels, one after the other.
    case levels([LoadPattern])
    /// A ladder up to saturation (`--sweep`).
    case sweep(CapacitySearch.SweepSettings)
    /// Bisection on rate for the highest load meeting the objectives (`--max-goodput`).
    case maxGoodput(CapacitySearch.GoodputSettings)
}

/// The facts about a run that go into its report.
public struct BenchDescription: Sendable {
    public var model: String
    public var endpoint: OpenAIEndpoint
    public var workload: String
    public var inputTokens: Int?
    public var outputTokens: Int
    public var seed: UInt64
    public var warmupRequests: Int
    public var shard: Shard?

    public init(
        model: String,
        endpoint: OpenAIEndpoint,
        workload: String,
        inputTokens: Int?,
        outputTokens: Int,
        seed: UInt64,
        warmupRequests: Int,
        shard: Shard?
    ) {
        self.model = model
        self.endpoint = endpoint
        self.workload = workload
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.seed = seed
        self.warmupRequests = warmupRequests
        self.shard = shard
    }
}

/// A whole `t2 bench` run: the library entry point behind the command. It runs the schedule's
/// levels with a ``LoadRunner``, keeps the finished levels and the running one, and can hand out
/// a complete report at any moment (``snapshot(complete:interrupted:)``) for incremental files.
public final class Benchmark: Sendable {
    public let runner: LoadRunner
    public let schedule: BenchSchedule
    public let stop: StopCondition
    public let warmup: Int
    public let usdPerHour: Double?
    public let description: BenchDescription
    /// Called after each finished level (for progress lines).
    public let onLevel: (@Sendable (LevelSummary) -> Void)?

    private struct State {
        var done: [LevelSummary] = []
        var current: (LoadPattern, LevelAccumulator)? = nil
        var capacity: CapacityResult? = nil
    }
    private let state = Locked(State())
    private let runID = UUID().uuidString.lowercased()

    public init(
        runner: LoadRunner,
        schedule: BenchSchedule,
        stop: StopCondition,
        warmup: Int,
        usdPerHour: Double?,
        description: BenchDescription,
        onLevel: (@Sendable (LevelSummary) -> Void)? = nil
    ) {
        self.runner = runner
        self.schedule = schedule
        self.stop = stop
        self.warmup = warmup
        self.usdPerHour = usdPerHour
        self.description = description
        self.onLevel = onLevel
    }

    /// Runs one level (with its warm-up); nil when the task was cancelled before or during it.
    func level(_ pattern: LoadPattern) async -> LevelSummary? {
        if Task.isCancelled { return nil }
        if warmup > 0 {
            await runner.warmUp(count: warmup, concurrency: pattern.concurrency ?? 1)
        }
        let accumulator = LevelAccumulator(
            slo: runner.slo,
            openLoop: pattern.rateLoad != nil,
            urls: runner.pool.urls
        )
        state.withLock { $0.current = (pattern, accumulator) }
        let result = await runner.run(pattern, stop: stop, accumulator: accumulator)
        let summary = LevelSummary(
            pattern: pattern,
            totals: result.totals,
            slo: runner.slo,
            usdPerHour: usdPerHour,
            interrupted: result.interrupted
        )
        state.withLock {
            $0.done.append(summary)
            $0.current = nil
        }
        onLevel?(summary)
        return result.interrupted ? nil : summary
    }

    /// Runs the schedule. Cancelling the task stops it; what finished is in the report.
    public func run() async -> BenchReport {
        switch schedule {
        case .levels(let patterns):
            for pattern in patterns {
                if await level(pattern) == nil { break }
            }
        case .sweep(let settings):
            let (_, result) = await CapacitySearch.sweep(settings) { await self.level($0) }
            state.withLock { $0.capacity = result }
        case .maxGoodput(let settings):
            let (_, result) = await CapacitySearch.maxGoodput(settings) { await self.level($0) }
            state.withLock { $0.capacity = result }
        }
        return snapshot(complete: true, interrupted: Task.isCancelled)
    }

    /// The report of what has finished so far, the running level included.
    public func snapshot(complete: Bool, interrupted: Bool) -> BenchReport {
        let (done, current, capacity) = state.withLock { ($0.done, $0.current, $0.capacity) }
        var levels = done
        if let (pattern, accumulator) = current {
            levels.append(
                LevelSummary(
                    pattern: pattern,
                    totals: accumulator.snapshot,
                    slo: runner.slo,
                    usdPerHour: usdPerHour,
                    interrupted: interrupted
                )
            )
        }
        var report = BenchReport(
            url: runner.pool.urls.joined(separator: ","),
            model: description.model,
            endpoint: description.endpoint.rawValue,
            inputTokens: description.inputTokens,
            outputTokens: description.outputTokens,
            seed: description.seed,
            warmupRequests: description.warmupRequests,
            levels: levels,
            complete: complete,
            interrupted: interrupted,
            runID: runID,
            workload: description.workload,
            shard: description.shard,
            capacity: capacity
        )
        if levels.contains(where: { $0.requests > 0 && $0.requestsWithoutUsage == $0.succeeded && $0.succeeded > 0 }) {
            report.notes = ["the server sent no usage: output tokens are counted as stream events"]
        }
        return report
    }
}
