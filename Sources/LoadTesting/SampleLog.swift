import Foundation
import Tabular

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What decides the samples of a `t2 sample` run: recorded in the first line of its per-sample log,
/// so that resuming with different settings is refused instead of mixing samples of two
/// experiments into one count. `--samples` is not part of it: a run may grow (or be read with
/// fewer samples) and stay one experiment.
public struct SampleRunSettings: Codable, Equatable, Sendable {
    /// The model name sent to the server.
    public var model: String
    /// `chat` or `completions`.
    public var endpoint: String
    public var temperature: Double
    public var maxTokens: Int
    /// The run's `--seed` (per-sample seeds derive from it).
    public var seed: UInt64
    /// `sha256:` of the problems' ids, prompts, answers and tests, in order, and their number.
    public var dataset: String
    public var problems: Int
    /// The answer checker's name (`final-number`, `boxed`, `code`, …).
    public var checker: String
    /// `i/n` when the run is one shard of the problems.
    public var shard: String?
    /// How per-sample seeds are made (2: `(seed·1000003 + j·P + i) mod 2³¹`, independent of the
    /// number of samples, so a run can grow without two samples sharing a seed).
    public var seedScheme: Int

    public init(
        model: String,
        endpoint: String,
        temperature: Double,
        maxTokens: Int,
        seed: UInt64,
        dataset: String,
        problems: Int,
        checker: String,
        shard: String? = nil,
        seedScheme: Int = 2
    ) {
        self.model = model
        self.endpoint = endpoint
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
        self.dataset = dataset
        self.problems = problems
        self.checker = checker
        self.shard = shard
        self.seedScheme = seedScheme
    }

    enum CodingKeys: String, CodingKey {
        case model
        case endpoint
        case temperature
        case maxTokens = "max_tokens"
        case seed
        case dataset
        case problems
        case checker
        case shard
        case seedScheme = "seed_scheme"
    }

    /// The fingerprint of a problem list: SHA-256 over each problem's id, prompt, answer and test.
    public static func fingerprint(_ problems: [Problem]) -> String {
        var hasher = SHA256()
        for p in problems {
            for field in [p.id, p.prompt, p.answer, p.test ?? "", p.entryPoint ?? ""] {
                hasher.update(Array(field.utf8))
                hasher.update([0])
            }
        }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The differences from `other`, one `name: this vs other` string each (empty when equal).
    public func differences(from other: SampleRunSettings) -> [String] {
        var d: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { d.append("\(name) \(a) vs \(b)") } }
        check("--model", model, other.model)
        check("--endpoint", endpoint, other.endpoint)
        check("--temperature", temperature, other.temperature)
        check("--max-tokens", maxTokens, other.maxTokens)
        check("--seed", seed, other.seed)
        check("--checker", checker, other.checker)
        check("--shard", shard ?? "none", other.shard ?? "none")
        if dataset != other.dataset || problems != other.problems {
            d.append(
                "--dataset (\(problems) problems, \(dataset.prefix(19))… vs \(other.problems), \(other.dataset.prefix(19))…)"
            )
        }
        check("seed scheme", seedScheme, other.seedScheme)
        return d
    }
}

/// The first line of a per-sample log.
struct SampleLogHeader: Codable {
    var t2SampleLog: Int
    var settings: SampleRunSettings

    enum CodingKeys: String, CodingKey {
        case t2SampleLog = "t2_sample_log"
        case settings
    }
}

/// The per-sample log of a `t2 sample` run (`OUT.samples.jsonl`): a settings line, then one JSON
/// line per finished sample, appended by a single writer.
///
/// The file is opened once and locked (`flock`, exclusive, non-blocking) for the whole run, so a
/// second `t2 sample` on the same `--out` is refused at once instead of racing the first. It is
/// appended to in place — never replaced — so the lock covers the one file every run sees. A
/// torn last line (a crash in the middle of a write) is cut off when the log is opened.
final class SampleLog {
    let path: String
    private let fd: Int32
    /// Samples read from the file when it was opened, in file order.
    private(set) var previous: [SampleResult] = []
    /// Lines in the file that were not valid samples (a torn line is not counted: it is cut).
    private(set) var skippedLines = 0

    /// Opens (creating) and locks `path`; reads what it holds; checks its settings line against
    /// `settings` (writing one to a new log). Throws a `LoadTestingError` naming the path and what
    /// to do on a lock held by another process, a settings mismatch, or an unreadable file.
    init(path: String, settings: SampleRunSettings) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw LoadTestingError.invalidFile(
                path,
                line: nil,
                reason: "cannot be opened: \(AtomicFile.describe(errno))"
            )
        }
        self.fd = fd
        do {
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                if code == EWOULDBLOCK {
                    throw LoadTestingError.resumeMismatch(
                        "another t2 sample is writing this output (\(path) is locked); wait for it to finish, or give this run its own --out"
                    )
                }
                throw LoadTestingError.invalidFile(
                    path,
                    line: nil,
                    reason: "cannot be locked: \(AtomicFile.describe(code))"
                )
            }
            try load(settings: settings)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    private func load(settings: SampleRunSettings) throws {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw LoadTestingError.invalidFile(path, line: nil, reason: "cannot be read: \(AtomicFile.describe(errno))")
        }
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var read = 0
        while read < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + read, size - read, off_t(read)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw LoadTestingError.invalidFile(
                    path,
                    line: nil,
                    reason: "cannot be read: \(AtomicFile.describe(errno))"
                )
            }
            read += n
        }
        if size == 0 {
            let header = SampleLogHeader(t2SampleLog: 1, settings: settings)
            try append(line: try Self.encoder.encode(header))
            return
        }
        // Cut a torn last line (no newline: the writer was killed in the middle of it).
        let end = (bytes.lastIndex(of: 10).map { $0 + 1 }) ?? 0
        if end < size {
            guard ftruncate(fd, off_t(end)) == 0 else {
                throw LoadTestingError.invalidFile(
                    path,
                    line: nil,
                    reason: "has a torn last line that cannot be cut: \(AtomicFile.describe(errno))"
                )
            }
        }
        let lines = bytes[0..<end].split(separator: 10)
        guard let first = lines.first,
            let header = try? JSONDecoder().decode(SampleLogHeader.self, from: Data(first))
        else {
            throw LoadTestingError.resumeMismatch(
                "\(path) has no settings line (it was written by an older t2 sample, or is not a sample log), so t2 cannot tell whether its samples match this run"
            )
        }
        let differences = settings.differences(from: header.settings)
        guard differences.isEmpty else {
            throw LoadTestingError.resumeMismatch(
                "\(path) holds samples of a run with other settings: " + differences.joined(separator: "; ")
                    + " (this run vs the log)"
            )
        }
        let decoder = JSONDecoder()
        for line in lines.dropFirst() where !line.isEmpty {
            if let r = try? decoder.decode(SampleResult.self, from: Data(line)) {
                previous.append(r)
            } else {
                skippedLines += 1
            }
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Appends one sample as a JSON line.
    func append(_ result: SampleResult) throws {
        try append(line: try Self.encoder.encode(result))
    }

    private func append(line: Data) throws {
        var bytes = [UInt8](line)
        bytes.append(10)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                // Leave no half line behind: cut back to the end of the last whole line.
                if written > 0 {
                    var status = stat()
                    if fstat(fd, &status) == 0 { _ = ftruncate(fd, status.st_size - off_t(written)) }
                }
                throw LoadTestingError.invalidFile(
                    path,
                    line: nil,
                    reason: "cannot be written: \(AtomicFile.describe(code))"
                        + (code == ENOSPC ? ". Free some space and run the same command again to resume" : "")
                )
            }
            written += n
        }
    }
}
