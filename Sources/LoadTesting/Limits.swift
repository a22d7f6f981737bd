/// The bounds `t2 bench` and `t2 sample` put on their numeric settings, so that a mistyped value
/// (`--timeout inf`, `--samples 1000000000000`, `--input-tokens 1000000000`) is refused with a
/// clear message before anything is allocated or sent, instead of overflowing a clock or
/// allocating gigabytes.
public enum Limits {
    /// Longest request timeout: about 11.6 days, in seconds.
    public static let maxTimeoutSeconds = 1_000_000.0
    /// Longest load level: one year, in seconds.
    public static let maxDurationSeconds = 31_536_000.0
    /// Longest synthetic prompt, in (approximate) tokens: larger than any context window served today.
    public static let maxInputTokens = 2_000_000
    /// Largest `max_tokens` sent.
    public static let maxOutputTokens = 10_000_000
    /// Most samples per problem in `t2 sample`.
    public static let maxSamplesPerProblem = 1_000_000
    /// Most samples in one `t2 sample` run: per-sample seeds are 31-bit and distinct.
    public static let maxTotalSamples = Int(Int32.max)
    /// Most client network threads.
    public static let maxThreads = 256
    /// Most concurrent streams in one level.
    public static let maxConcurrency = 100_000
    /// Highest sampling temperature accepted (OpenAI allows 0–2; some servers more).
    public static let maxTemperature = 100.0

    /// Checks a duration in seconds: finite, positive and at most `maximum`. Returns an error
    /// message naming `flag`, or nil when the value is fine.
    public static func checkSeconds(_ value: Double, flag: String, maximum: Double) -> String? {
        guard value.isFinite, value > 0, value <= maximum else {
            return
                "\(flag): \(value) is not a number of seconds in (0, \(Int(maximum))]; give a finite value (for example \(flag) 600)"
        }
        return nil
    }

    /// Checks a sampling temperature: finite, in 0…``maxTemperature``.
    public static func checkTemperature(_ value: Double, flag: String = "--temperature") -> String? {
        guard value.isFinite, value >= 0, value <= maxTemperature else {
            return "\(flag): \(value) is not a temperature in 0…\(Int(maxTemperature)) (for example \(flag) 0.8)"
        }
        return nil
    }
}
