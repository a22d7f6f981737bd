import Foundation
import Histogram

/// A latency distribution that merges exactly: an HdrHistogram of microseconds (3 significant
/// digits, resized as needed) for the percentiles, and the exact count, sum, minimum and maximum.
///
/// Shards of a run each keep one per metric; `t2 bench merge` adds them bucket by bucket, so the
/// merged percentiles are those of all the requests together (averaging the shards' percentiles
/// would not be). JSON: `{"count", "sum_s", "min_s", "max_s", "buckets_us": [[value, count], …]}`
/// with one pair per non-empty bucket (the bucket's highest equivalent value in µs).
public struct LatencyHistogram: Sendable, Equatable, Codable {
    private var histogram: Histogram<UInt64>
    /// Values recorded.
    public private(set) var count: Int = 0
    /// Their exact sum, seconds.
    public private(set) var sumSeconds: Double = 0
    /// The exact smallest and largest value, seconds (0 when empty).
    public private(set) var minSeconds: Double = 0
    public private(set) var maxSeconds: Double = 0

    public init() {
        histogram = Self.empty()
    }

    private static func empty() -> Histogram<UInt64> {
        var h = Histogram<UInt64>(
            lowestDiscernibleValue: 1,
            highestTrackableValue: 60_000_000,
            numberOfSignificantValueDigits: .three
        )
        h.autoResize = true
        return h
    }

    /// Records one value in seconds (negative or non-finite values are ignored).
    public mutating func record(seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        let micros = (seconds * 1e6).rounded()
        _ = histogram.record(micros < 1.8e19 ? UInt64(micros) : UInt64.max / 2)
        if count == 0 {
            minSeconds = seconds
            maxSeconds = seconds
        } else {
            minSeconds = Swift.min(minSeconds, seconds)
            maxSeconds = Swift.max(maxSeconds, seconds)
        }
        count += 1
        sumSeconds += seconds
    }

    /// Adds `other`'s values (exact: bucket counts, count and sum add; min and max combine).
    public mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        histogram.add(other.histogram)
        if count == 0 {
            minSeconds = other.minSeconds
            maxSeconds = other.maxSeconds
        } else {
            minSeconds = Swift.min(minSeconds, other.minSeconds)
            maxSeconds = Swift.max(maxSeconds, other.maxSeconds)
        }
        count += other.count
        sumSeconds += other.sumSeconds
    }

    /// The value at `percentile` (0–100), seconds, from the histogram (within 0.1%).
    public func percentileSeconds(_ percentile: Double) -> Double {
        guard count > 0 else { return 0 }
        return Double(histogram.valueAtPercentile(percentile)) / 1e6
    }

    public var meanSeconds: Double { count > 0 ? sumSeconds / Double(count) : 0 }

    /// Mean, percentiles, minimum and maximum in milliseconds; nil when empty.
    public var stats: LatencyStats? {
        guard count > 0 else { return nil }
        return LatencyStats(
            count: count,
            meanMs: meanSeconds * 1000,
            p50Ms: percentileSeconds(50) * 1000,
            p90Ms: percentileSeconds(90) * 1000,
            p95Ms: percentileSeconds(95) * 1000,
            p99Ms: percentileSeconds(99) * 1000,
            p999Ms: percentileSeconds(99.9) * 1000,
            minMs: minSeconds * 1000,
            maxMs: maxSeconds * 1000
        )
    }

    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        a.count == b.count && a.sumSeconds == b.sumSeconds && a.minSeconds == b.minSeconds
            && a.maxSeconds == b.maxSeconds && a.buckets == b.buckets
    }

    /// The non-empty buckets: (highest equivalent value in µs, count).
    var buckets: [[UInt64]] {
        guard count > 0 else { return [] }
        return histogram.recordedValues().map { [$0.value, $0.count] }
    }

    enum CodingKeys: String, CodingKey {
        case count
        case sumSeconds = "sum_s"
        case minSeconds = "min_s"
        case maxSeconds = "max_s"
        case buckets = "buckets_us"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        histogram = Self.empty()
        count = try c.decode(Int.self, forKey: .count)
        sumSeconds = try c.decode(Double.self, forKey: .sumSeconds)
        minSeconds = try c.decode(Double.self, forKey: .minSeconds)
        maxSeconds = try c.decode(Double.self, forKey: .maxSeconds)
        var total: UInt64 = 0
        for pair in try c.decode([[UInt64]].self, forKey: .buckets) {
            guard pair.count == 2, pair[0] < UInt64(1) << 62 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .buckets,
                    in: c,
                    debugDescription: "a bucket is [value_us, count]"
                )
            }
            _ = histogram.record(pair[0], count: pair[1])
            total &+= pair[1]
        }
        guard total == UInt64(max(0, count)) else {
            throw DecodingError.dataCorruptedError(
                forKey: .count,
                in: c,
                debugDescription: "count \(count) differs from the buckets' total \(total)"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(sumSeconds, forKey: .sumSeconds)
        try c.encode(minSeconds, forKey: .minSeconds)
        try c.encode(maxSeconds, forKey: .maxSeconds)
        try c.encode(buckets, forKey: .buckets)
    }
}
