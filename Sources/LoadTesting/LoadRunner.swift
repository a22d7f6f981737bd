import Foundation
import Optimization

/// How requests are spread over several endpoints of one model (`--url a,b,c`).
public enum BalancePolicy: String, Sendable, CaseIterable {
    /// Endpoint after endpoint.
    case roundRobin = "round-robin"
    /// The endpoint with the fewest requests in flight (ties: the next in turn).
    case leastOutstanding = "least-outstanding"
}

/// Several endpoints serving one model, with one client each, and a balancing policy.
public final class EndpointPool: Sendable {
    public let clients: [StreamingClient]
    public let policy: BalancePolicy
    private let state: Locked<(next: Int, outstanding: [Int])>

    public init(clients: [StreamingClient], policy: BalancePolicy = .roundRobin) {
        precondition(!clients.isEmpty, "an endpoint pool needs at least one client")
        self.clients = clients
        self.policy = policy
        state = Locked((0, Array(repeating: 0, count: clients.count)))
    }

    /// The endpoints' base URLs, in order.
    public var urls: [String] { clients.map { $0.address.description } }

    /// Picks an endpoint (or takes `pinned`) and counts the request as in flight there.
    func acquire(pinned: Int?) -> Int {
        state.withLock { s in
            let chosen: Int
            if let pinned {
                chosen = pinned
            } else {
                switch policy {
                case .roundRobin:
                    chosen = s.next % clients.count
                    s.next &+= 1
                case .leastOutstanding:
                    var best = s.next % clients.count
                    for k in 1..<max(1, clients.count) {
                        let i = (s.next + k) % clients.count
                        if s.outstanding[i] < s.outstanding[best] { best = i }
                    }
                    chosen = best
                    s.next &+= 1
                }
            }
            s.outstanding[chosen] += 1
            return chosen
        }
    }

    func release(_ endpoint: Int) { state.withLock { $0.outstanding[endpoint] -= 1 } }

    /// Sends on an endpoint chosen by the policy (or `pinned`); the record names it.
    public func send(
        _ request: StreamingRequest,
        index: Int,
        scheduledNanos: UInt64? = nil,
        pinned: Int? = nil
    ) async -> RequestRecord {
        let endpoint = acquire(pinned: pinned)
        var record = await clients[endpoint].send(request, index: index, scheduledNanos: scheduledNanos)
        release(endpoint)
        record.endpoint = endpoint
        return record
    }

    public func shutdown() async {
        for c in clients { await c.shutdown() }
    }
}

/// Accumulates a level's totals as requests finish; a snapshot can be read at any time (for
/// incremental results files).
public final class LevelAccumulator: Sendable {
    private let totals = Locked(LevelTotals())
    public let slo: ServiceLevelObjectives?
    let openLoop: Bool
    let urls: [String]?

    public init(slo: ServiceLevelObjectives?, openLoop: Bool, urls: [String]? = nil) {
        self.slo = slo
        self.openLoop = openLoop
        self.urls = urls.flatMap { $0.count > 1 ? $0 : nil }
    }

    func add(_ record: RequestRecord) {
        totals.withLock { $0.add(record, slo: slo, openLoop: openLoop, endpoint: urls.map { $0[record.endpoint] }) }
    }

    func addQuery(_ records: [RequestRecord], k: Int, mode: SampleMode) {
        totals.withLock { $0.addQuery(records, k: k, mode: mode) }
    }

    /// The totals so far.
    public var snapshot: LevelTotals { totals.withLock { $0 } }
}

/// The measured requests of one load level, with the client's own resource use.
public struct LevelResult: Sendable {
    public var pattern: LoadPattern
    /// The level's exact totals (counts, sums, histograms).
    public var totals: LevelTotals
    /// Finished requests, when the runner keeps them (``LoadRunner/keepRecords``), or as given.
    public var records: [RequestRecord]
    /// Client CPU time (user + system, whole process) spent during the level.
    public var clientCPUSeconds: Double
    /// Whether the level was cut short (Ctrl-C).
    public var interrupted: Bool

    /// A result from records (their totals are computed when summarized).
    public init(pattern: LoadPattern, records: [RequestRecord], clientCPUSeconds: Double, interrupted: Bool) {
        self.pattern = pattern
        self.records = records
        self.totals = LevelTotals()
        self.clientCPUSeconds = clientCPUSeconds
        self.interrupted = interrupted
    }

    public init(pattern: LoadPattern, totals: LevelTotals, records: [RequestRecord], interrupted: Bool) {
        self.pattern = pattern
        self.totals = totals
        self.records = records
        self.clientCPUSeconds = totals.clientCPUSeconds
        self.interrupted = interrupted
    }
}

/// Drives one server (or a pool of endpoints) with a pattern of requests and accumulates the
/// level's totals.
///
/// Work items (single requests, conversations or sampling queries) are numbered over the whole
/// level; item g's prompt and seed depend only on g, so a level split into shards (`shard`: item g
/// belongs to shard g mod n) sends exactly the requests of the unsplit level, spread over the
/// processes. A closed loop of c streams gives shard i its share of the c streams; an open loop at
/// rate r gives it every n-th arrival of the rate-r process (constant), or an independent process
/// at r/n (Poisson and gamma; independent Poisson shards add up to the Poisson process at r).
public struct LoadRunner: Sendable {
    public let pool: EndpointPool
    public let settings: GenerationSettings
    public let prompts: PromptSource
    public let seed: UInt64
    /// What a work item is.
    public var workload: WorkloadShape = .single
    /// This process's shard of every level.
    public var shard: Shard? = nil
    /// Objectives counted as good requests in the totals.
    public var slo: ServiceLevelObjectives? = nil
    /// Keep every request's record in the result (tests; memory grows with the level).
    public var keepRecords = false
    /// Upper bound on requests in flight in open-loop mode without a cap of its own (arrivals
    /// beyond it wait, and the wait is visible as client queue time).
    public var maxInFlight: Int = 4096

    public init(client: StreamingClient, settings: GenerationSettings, prompts: PromptSource, seed: UInt64) {
        self.init(pool: EndpointPool(clients: [client]), settings: settings, prompts: prompts, seed: seed)
    }

    public init(pool: EndpointPool, settings: GenerationSettings, prompts: PromptSource, seed: UInt64) {
        self.pool = pool
        self.settings = settings
        self.prompts = prompts
        self.seed = seed
    }

    /// The request of turn `turn` of item `index`, with `history` before it; sample j of a query
    /// gets its own seed.
    func request(
        _ index: Int,
        turn: Int = 0,
        history: [ChatMessage] = [],
        sample: Int = 0,
        n: Int = 1
    )
        -> StreamingRequest
    {
        let item = prompts.item(index: index, turn: turn)
        let messages = history + [ChatMessage(role: "user", content: item.text)]
        let s =
            seed &+ UInt64(truncatingIfNeeded: index) &* 1_000_003 &+ UInt64(truncatingIfNeeded: turn &* 7919 &+ sample)
        return StreamingRequest(
            path: settings.endpoint.path,
            body: settings.body(messages: messages, maxTokens: item.maxTokens, seed: s & 0x7FFF_FFFF, n: n)
        )
    }

    /// Sends `count` requests at `concurrency` and discards them (server warm-up).
    public func warmUp(count: Int, concurrency: Int) async {
        guard count > 0 else { return }
        let plain: LoadRunner = {
            var p = self
            p.workload = .single
            p.shard = nil
            return p
        }()
        let next = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, min(concurrency, count)) {
                group.addTask {
                    while !Task.isCancelled {
                        let i = next.withLock { n -> Int? in
                            guard n < count else { return nil }
                            n += 1
                            return n - 1
                        }
                        guard let i else { break }
                        _ = await plain.pool.send(plain.request(1_000_000_000 + i), index: i)
                    }
                }
            }
        }
    }

    /// Runs work item `g` (all its requests) and feeds the accumulator; false when cancelled.
    func execute(
        _ g: Int,
        scheduledNanos: UInt64?,
        into accumulator: LevelAccumulator,
        records: Locked<[RequestRecord]>?
    ) async -> Bool {
        func keep(_ r: RequestRecord) {
            accumulator.add(r)
            records?.withLock { $0.append(r) }
        }
        switch workload {
        case .single:
            let r = await pool.send(request(g), index: g, scheduledNanos: scheduledNanos)
            if r.failure?.kind == .cancelled { return false }
            keep(r)
        case .conversation(let turns):
            var history: [ChatMessage] = []
            var endpoint: Int? = nil
            let available = min(turns, prompts.turns(of: g) ?? turns)
            for t in 0..<available {
                var req = request(g, turn: t, history: history)
                req.collectText = t + 1 < available
                var r = await pool.send(req, index: g, scheduledNanos: t == 0 ? scheduledNanos : nil, pinned: endpoint)
                if r.failure?.kind == .cancelled { return false }
                endpoint = r.endpoint
                r.turn = t
                keep(r)
                guard r.succeeded else { break }
                history.append(ChatMessage(role: "user", content: prompts.item(index: g, turn: t).text))
                history.append(ChatMessage(role: "assistant", content: r.text ?? ""))
            }
        case .samples(let k, let mode):
            var list: [RequestRecord] = []
            switch mode {
            case .n:
                var r = await pool.send(request(g, n: k), index: g, scheduledNanos: scheduledNanos)
                if r.failure?.kind == .cancelled { return false }
                r.choices = k
                keep(r)
                list = [r]
            case .separate:
                let endpoint = pool.acquire(pinned: nil)
                pool.release(endpoint)
                list = await withTaskGroup(of: RequestRecord.self) { group in
                    for j in 0..<k {
                        group.addTask {
                            await pool.send(
                                request(g, sample: j),
                                index: g,
                                scheduledNanos: scheduledNanos,
                                pinned: endpoint
                            )
                        }
                    }
                    var all: [RequestRecord] = []
                    for await r in group { all.append(r) }
                    return all
                }
                if list.contains(where: { $0.failure?.kind == .cancelled }) { return false }
                for r in list { keep(r) }
            }
            accumulator.addQuery(list, k: k, mode: mode)
        }
        return true
    }

    /// Runs one level. `accumulator` (made here when nil) sees every finished request as it
    /// finishes, so a caller can snapshot the level while it runs. Cancelling the calling task
    /// stops the level: requests in flight are cancelled and left out.
    public func run(
        _ pattern: LoadPattern,
        stop: StopCondition,
        accumulator given: LevelAccumulator? = nil
    ) async -> LevelResult {
        let accumulator =
            given ?? LevelAccumulator(slo: slo, openLoop: pattern.rateLoad != nil, urls: pool.urls)
        let records: Locked<[RequestRecord]>? = keepRecords ? Locked([]) : nil
        let cpuStart = ProcessCPU.seconds()
        switch pattern {
        case .concurrency(let n):
            await runClosedLoop(concurrency: n, stop: stop, accumulator: accumulator, records: records)
        case .rate(let load):
            await runOpenLoop(load, stop: stop, accumulator: accumulator, records: records)
        }
        var totals = accumulator.snapshot
        totals.clientCPUSeconds = ProcessCPU.seconds() - cpuStart
        return LevelResult(
            pattern: pattern,
            totals: totals,
            records: (records?.withLock { $0 } ?? []).sorted { $0.index < $1.index },
            interrupted: Task.isCancelled
        )
    }

    /// The global index of this shard's m-th work item.
    func globalIndex(_ m: Int) -> Int {
        guard let shard else { return m }
        return m * shard.count + shard.index
    }

    /// This shard's number of work items out of `total`.
    func share(_ total: Int) -> Int { shard?.share(of: total) ?? total }

    private func runClosedLoop(
        concurrency: Int,
        stop: StopCondition,
        accumulator: LevelAccumulator,
        records: Locked<[RequestRecord]>?
    ) async {
        // Every shard runs at least one stream (a concurrency below the number of shards runs
        // one stream per shard: `t2 bench` refuses that combination).
        let streams = shard.map { max(1, Shard.split(concurrency, $0)) } ?? concurrency
        let next = Locked(0)
        let deadline = stop.durationSeconds.map { MonotonicClock.now() &+ UInt64($0 * 1e9) }
        let limit = stop.requests.map(share)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<streams {
                group.addTask {
                    while !Task.isCancelled {
                        if let deadline, MonotonicClock.now() >= deadline { break }
                        let m = next.withLock { n -> Int? in
                            if let limit, n >= limit { return nil }
                            n += 1
                            return n - 1
                        }
                        guard let m else { break }
                        let ok = await execute(
                            globalIndex(m),
                            scheduledNanos: nil,
                            into: accumulator,
                            records: records
                        )
                        if !ok { break }
                    }
                }
            }
        }
    }

    private func runOpenLoop(
        _ load: RateLoad,
        stop: StopCondition,
        accumulator: LevelAccumulator,
        records: Locked<[RequestRecord]>?
    ) async {
        let start = MonotonicClock.now()
        let deadline = stop.durationSeconds.map { start &+ UInt64($0 * 1e9) }
        let count = Double(shard?.count ?? 1)
        var rng = SeededGenerator(seed: seed ^ 0x5EED_A221_7A15, stream: shard?.index ?? 0)
        var cap = maxInFlight
        if let limit = load.maxConcurrency {
            cap = shard.map { max(1, Shard.split(limit, $0)) } ?? limit
        }
        let limit = stop.requests.map(share)
        await withTaskGroup(of: Void.self) { group in
            // Arrivals in "expected arrivals of the whole level" units (Λ): the unsplit process
            // has one arrival per unit; this shard's arrivals are n units apart on average.
            var lambda = Double(shard?.index ?? 0)
            var inFlight = 0
            var m = 0
            while !Task.isCancelled {
                if let limit, m >= limit { break }
                if m > 0 { lambda += count * load.arrivals.unitGap(&rng) }
                let offset = load.time(ofArrivals: lambda)
                guard offset.isFinite, offset < 1e9 else { break }
                let dueNanos = start &+ UInt64(offset * 1e9)
                if let deadline, dueNanos >= deadline { break }
                let now = MonotonicClock.now()
                if dueNanos > now {
                    do { try await Task.sleep(nanoseconds: dueNanos - now) } catch { break }
                }
                while inFlight >= cap {
                    await group.next()
                    inFlight -= 1
                }
                let g = globalIndex(m)
                group.addTask {
                    _ = await execute(g, scheduledNanos: dueNanos, into: accumulator, records: records)
                }
                inFlight += 1
                m += 1
            }
            await group.waitForAll()
        }
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
