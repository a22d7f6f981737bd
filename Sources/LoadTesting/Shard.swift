/// One of `count` shards of a run: the work items whose index is `index` modulo `count`.
///
/// `t2 bench` and `t2 sample` split their requests (or problems) this way with `--shard i/n`, or
/// `--shards n` with the index taken from `JOB_COMPLETION_INDEX`, the variable a Kubernetes
/// Indexed Job sets in each pod; `t2 bench merge` and `t2 sample merge` put the shards together.
public struct Shard: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// 0-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether work item `item` belongs to this shard.
    @inline(__always)
    public func owns(_ item: Int) -> Bool { item % count == index }

    /// How many of the items `0..<total` belong to this shard.
    public func share(of total: Int) -> Int {
        total <= index ? 0 : (total - index + count - 1) / count
    }

    /// Parses `i/n` (0 ≤ i < n ≤ 100000).
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 100_000, i >= 0, i < n
        else {
            throw LoadTestingError.invalidArgument(
                "--shard: '\(text)' is not i/n with 0 ≤ i < n (for example --shard 0/4 for the first of four)"
            )
        }
        return Shard(index: i, count: n)
    }

    /// The shard for `--shards n`: the index from `JOB_COMPLETION_INDEX` in `environment`.
    public static func fromEnvironment(count: Int, environment: [String: String]) throws -> Shard {
        guard count >= 1, count <= 100_000 else {
            throw LoadTestingError.invalidArgument("--shards must be a whole number in 1…100000")
        }
        guard let text = environment["JOB_COMPLETION_INDEX"] else {
            throw LoadTestingError.invalidArgument(
                "--shards \(count) takes the shard index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set; use --shard i/\(count) to give it yourself"
            )
        }
        guard let i = Int(text), i >= 0, i < count else {
            throw LoadTestingError.invalidArgument(
                "JOB_COMPLETION_INDEX=\(text) is not an index in 0..<\(count) (--shards \(count)); set the Job's completions to \(count)"
            )
        }
        return Shard(index: i, count: count)
    }
}
