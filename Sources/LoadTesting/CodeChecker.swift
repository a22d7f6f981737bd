import Foundation
import Optimization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Code problems (HumanEval / MBPP style): the candidate program runs against the problem's tests
/// in a Python subprocess, and passes when the tests finish without an error.
///
/// Each check runs in a fresh temporary directory (removed afterwards) with an empty environment
/// (`PATH`, `HOME` = the directory, `LANG`), under these limits, set in the child before the
/// candidate's code runs: address space (`--code-memory-mb`, default 1024 MB), CPU time and a
/// wall-clock limit (`--code-timeout`, default 10 s; the process is killed after it), files of at
/// most 16 MB; `fork`, `subprocess`, `os.system`, `os.kill` and sockets are disabled in Python, as
/// HumanEval's `reliability_guard` does (https://github.com/openai/human-eval), and on Linux the
/// process runs in its own network namespace (`unshare -rn`: no interface but loopback) when the
/// kernel allows unprivileged namespaces. This keeps an honest mistake (an endless loop, a memory
/// blow-up, a stray HTTP call) from harming the run; it is not a security sandbox for hostile code
/// — run untrusted models' code in a container.
///
/// The program is the response's last fenced code block (or the whole response without one).
/// When it does not define the entry point, it is taken as a completion of the prompt (the
/// HumanEval completion style) and appended to it; otherwise the prompt's `import` lines are put
/// before it. Then come the tests and, for HumanEval, `check(entry_point)`. A pass needs exit
/// status 0 and a random marker printed after the tests, so a candidate that exits early with
/// status 0 does not pass.
public struct CodeChecker: AnswerChecker {
    public var name: String { "code" }
    /// Wall-clock and CPU limit per check, seconds.
    public var timeoutSeconds: Double
    /// Address-space limit per check, bytes.
    public var memoryBytes: Int
    /// The Python interpreter (a path, or a name looked up in `PATH`).
    public var python: String

    public init(timeoutSeconds: Double = 10, memoryBytes: Int = 1 << 30, python: String = "python3") {
        self.timeoutSeconds = timeoutSeconds
        self.memoryBytes = memoryBytes
        self.python = python
    }

    /// The last fenced code block of `response` (```python … ```), the text after an unclosed
    /// fence, or the whole response.
    public static func extractCode(from response: String) -> String {
        let parts = response.components(separatedBy: "```")
        guard parts.count >= 2 else { return response }
        // parts: text, block, text, block, … ; an unclosed fence leaves an odd tail.
        let block = parts.count % 2 == 1 ? parts[parts.count - 2] : parts[parts.count - 1]
        var lines = block.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.first, first.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" }) {
            lines.removeFirst()  // the language tag ("python", "py", "")
        }
        return lines.joined(separator: "\n")
    }

    /// The program run for `response` to `problem`, with `marker` printed after the tests.
    public static func program(response: String, problem: Problem, marker: String) -> String {
        let code = extractCode(from: response)
        var program: String
        if let entry = problem.entryPoint, !code.contains("def \(entry)(") {
            program = problem.prompt + code
        } else {
            let imports = problem.prompt.split(separator: "\n").filter {
                $0.hasPrefix("import ") || $0.hasPrefix("from ")
            }
            program = (imports.isEmpty ? "" : imports.joined(separator: "\n") + "\n") + code
        }
        program += "\n\n" + (problem.test ?? "") + "\n"
        if let entry = problem.entryPoint { program += "\ncheck(\(entry))\n" }
        program += "\nimport sys as _t2_sys\n_t2_sys.stdout.write(\"\\n\(marker)\\n\")\n_t2_sys.stdout.flush()\n"
        return program
    }

    /// The guard that runs before the candidate: limits, then the dangerous calls disabled.
    func preamble(cpuSeconds: Int) -> String {
        """
        import resource as _r
        _r.setrlimit(_r.RLIMIT_AS, (\(memoryBytes), \(memoryBytes)))
        _r.setrlimit(_r.RLIMIT_CPU, (\(cpuSeconds), \(cpuSeconds + 1)))
        _r.setrlimit(_r.RLIMIT_FSIZE, (16777216, 16777216))
        import os as _os, socket as _socket, subprocess as _subprocess, shutil as _shutil, builtins as _b
        def _t2_disabled(*args, **kwargs):
            raise OSError("disabled by t2's code checker")
        for _name in ("socket", "create_connection", "getaddrinfo", "socketpair", "fromfd"):
            setattr(_socket, _name, _t2_disabled)
        for _name in ("system", "fork", "forkpty", "kill", "killpg", "putenv", "execv", "execve", "execvp", "spawnv", "popen", "_exit", "rmdir", "removedirs", "chroot", "setuid"):
            if hasattr(_os, _name):
                setattr(_os, _name, _t2_disabled)
        _subprocess.Popen = _t2_disabled
        _subprocess.run = _t2_disabled
        _subprocess.call = _t2_disabled
        _shutil.rmtree = _t2_disabled
        del _r, _os, _socket, _subprocess, _shutil, _b, _name

        """
    }

    /// Whether `unshare -rn` works here (checked once per process).
    static let networkNamespace: Bool = {
        #if os(Linux)
        guard let unshare = findExecutable("unshare") else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: unshare)
        p.arguments = ["-rn", "true"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
        #else
        return false
        #endif
    }()

    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether the interpreter can be found (`t2 sample --checker code` checks this before sending).
    public func interpreterPath() -> String? { Self.findExecutable(python) }

    public func check(_ response: String, problem: Problem) async -> AnswerCheck {
        let outcome = await run(response: response, problem: problem)
        return AnswerCheck(correct: outcome == .passed, extracted: outcome.rawValue)
    }

    /// How one check ended.
    public enum Outcome: String, Sendable {
        case passed
        case failed
        case timeout
        case error
    }

    /// Runs the candidate; never throws (a checker failure is a failed check).
    public func run(response: String, problem: Problem) async -> Outcome {
        guard let interpreter = interpreterPath() else { return .error }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("t2-code-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            return .error
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = SystemRandomNumberGenerator()
        let marker = "t2-passed-" + String(rng.next(), radix: 36) + String(rng.next(), radix: 36)
        let cpu = max(1, Int(timeoutSeconds.rounded(.up)))
        let source = preamble(cpuSeconds: cpu) + Self.program(response: response, problem: problem, marker: marker)
        let script = directory.appendingPathComponent("candidate.py")
        let stdoutURL = directory.appendingPathComponent("stdout")
        do {
            try Data(source.utf8).write(to: script)
            try Data().write(to: stdoutURL)
        } catch { return .error }

        let process = Process()
        var arguments = ["-I", "-B", script.path]
        if Self.networkNamespace, let unshare = Self.findExecutable("unshare") {
            process.executableURL = URL(fileURLWithPath: unshare)
            arguments = ["-rn", interpreter] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: interpreter)
        }
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory.path, "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        ]
        guard let out = try? FileHandle(forWritingTo: stdoutURL) else { return .error }
        defer { try? out.close() }
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice

        let timedOut = Locked(false)
        let status: Int32? = await withCheckedContinuation { continuation in
            process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(returning: nil)
                return
            }
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds) {
                if process.isRunning {
                    timedOut.withLock { $0 = true }
                    kill(pid, SIGKILL)
                }
            }
        }
        guard let status else { return .error }
        if timedOut.withLock({ $0 }) { return .timeout }
        guard status == 0 else { return .failed }
        let printed = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
        return printed.split(separator: "\n").last.map(String.init) == marker ? .passed : .failed
    }
}
