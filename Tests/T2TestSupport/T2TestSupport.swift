import Foundation
import Synchronization

/// Helpers shared by every test target: the fixtures, scratch directories, running the built
/// `t2` binary, and the real llama.cpp server's address. One copy, so that a fix reaches all.

/// The repository the tests run from.
public enum Repository {
    /// The repository's root (where Package.swift and README.md are), found from this file's own
    /// path (`Tests/T2TestSupport/T2TestSupport.swift`).
    public static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}

/// Paths of the real data in `Tests/Fixtures` (provenance in its README).
public enum Fixtures {
    /// `Tests/Fixtures`.
    public static let directory: String = Repository.root + "/Tests/Fixtures"

    /// The path of fixture `name`.
    public static func path(_ name: String) -> String { directory + "/" + name }

    /// Published LLM inference measurements (GPUs, Apple silicon).
    public static var measurements: String { path("inference_measurements.csv") }
    /// Pythia GSM8K per-problem sample counts (Schaeffer et al. 2025).
    public static var pythiaCounts: String { path("pythia_gsm8k_counts.csv") }
    /// Epoch AI's digitisation of the Chinchilla runs.
    public static var chinchillaRuns: String { path("chinchilla_epoch.csv") }
    /// Gadre et al.'s over-trained runs.
    public static var gadreRuns: String { path("overtraining_gadre.csv") }
}

/// A temporary directory, removed when the value is released.
public final class ScratchDirectory: Sendable {
    /// The directory.
    public let url: URL
    /// Its path.
    public var path: String { url.path }

    /// Creates a fresh directory under the system's temporary directory.
    public init(_ label: String = "t2-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the directory (nothing is created).
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let path = file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The text of `name` inside the directory, or nil.
    public func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }
}

/// A failure a test reports with its own message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The built `t2` executable, run as a user would run it.
public enum T2Binary {
    /// What a finished run printed and how it exited.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The `t2` executable beside the test bundle (`swift build --build-tests` builds both).
    public static func path() throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("t2").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for configuration in ["release", "debug"] {
            let candidate = Repository.root + "/.build/\(configuration)/t2"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestFailure("the t2 executable was not found next to the tests; run `swift build --build-tests` first")
    }

    /// Starts `t2 arguments` with its output discarded (for tests that signal it).
    public static func start(_ arguments: [String], environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// ``run(_:stdin:environment:directory:)`` for async tests, on a thread of its own
    /// (``offPool(_:)``).
    public static func runAsync(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws -> Result {
        try await offPool { try run(arguments, stdin: stdin, environment: environment, directory: directory) }
    }

    /// Runs `t2 arguments` to the end and returns its status, stdout and stderr.
    public static func run(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        // Drain stderr on another thread: reading one pipe to its end while the child fills the
        // other's 64 KB buffer would deadlock both.
        let errData = Mutex(Data())
        let drained = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            let data = errHandle.readDataToEndOfFile()
            errData.withLock { $0 = data }
            drained.signal()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        let e = errData.withLock { $0 }
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self)
        )
    }
}

/// The real llama.cpp server that `scripts/test` starts (llama-cpp-python + SmolLM2-135M), or
/// why the tests that need it are skipped.
///
/// `scripts/test` sets `T2_LLAMA_URL`, `T2_LLAMA_LOG` and `T2_REQUIRE_LLAMA=1`: with the last set, a
/// missing server fails the run. A bare `swift test` has none of them, and the real-server suites
/// are skipped with ``skipReason`` as the stated reason.
public enum RealServer {
    /// The server's base URL, when one is running.
    public static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["T2_LLAMA_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Whether the real-server suites run: a server is available, or the test command requires one
    /// (so that its absence fails instead of skipping).
    public static var enabled: Bool { url != nil || required }

    /// Whether the test command demands the server (`T2_REQUIRE_LLAMA=1`, set by `scripts/test`).
    public static var required: Bool { ProcessInfo.processInfo.environment["T2_REQUIRE_LLAMA"] == "1" }

    /// Why the real-server suites are skipped in a bare `swift test`.
    public static let skipReason =
        "skipped: no real llama.cpp server (T2_LLAMA_URL is not set). scripts/test installs and starts one, and runs these tests"

    /// The server's URL, or a failure that says how to start it.
    public static func requireURL() throws -> String {
        guard let url else {
            throw TestFailure(
                "T2_LLAMA_URL is not set. Run the suite with scripts/test (it starts the real server), or: export T2_LLAMA_URL=$(scripts/llama-server start) T2_LLAMA_LOG=$PWD/.local/llama-server.log"
            )
        }
        return url
    }

    /// The server's log file (for llama.cpp's own timings).
    public static func log() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["T2_LLAMA_LOG"],
            FileManager.default.fileExists(atPath: path)
        else {
            throw TestFailure(
                "T2_LLAMA_LOG is not set to the server's log file (scripts/test sets it to .local/llama-server.log)"
            )
        }
        return path
    }

    /// The model name the server answers to.
    public static let model = ProcessInfo.processInfo.environment["T2_LLAMA_MODEL"] ?? "smollm2-135m"
}

/// Runs blocking `work` (waiting for a process, reading its pipes) on a thread of its own and
/// returns its result to the async caller. A blocking wait on one of the few cooperative threads
/// (two on a 2-core machine) would starve the async tests and in-process servers that run beside
/// it in a full `swift test`.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
