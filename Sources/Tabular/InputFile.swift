import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the files that users hand to t2 — regular files, but also pipes (`<(…)`), `/dev/null`
/// and `-` for standard input — whole, with errors that name the path and say what to do.
public enum InputFile {
    /// The bytes of `path` (`-` reads standard input). Throws a ``TabularError`` when the path
    /// does not exist, is a directory, cannot be read, or is larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 1 << 32) throws -> Data {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            var status = stat()
            guard stat(path, &status) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR {
                    throw TabularError(
                        file: path,
                        problem: "no such file",
                        hint:
                            "Check the path (relative paths are resolved from \(FileManager.default.currentDirectoryPath))"
                    )
                }
                throw TabularError(file: path, problem: "cannot be read (\(AtomicFile.describe(code)))")
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                throw TabularError(file: path, problem: "is a directory, not a file", hint: "Give the path of a file")
            }
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw TabularError(
                    file: path,
                    problem: "cannot be read (\(AtomicFile.describe(errno)))",
                    hint: "Check the file's permissions"
                )
            }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TabularError(file: path, problem: "cannot be read (\(AtomicFile.describe(errno)))")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit {
                throw TabularError(
                    file: path,
                    problem: "is larger than \(limit) bytes, the most t2 reads from one file",
                    hint: "Split the file"
                )
            }
        }
        return data
    }

    /// The UTF-8 text of `path`, without a leading byte-order mark.
    public static func text(_ path: String, limit: Int = 1 << 32) throws -> String {
        var data = try read(path, limit: limit)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TabularError(file: path, problem: "is not UTF-8 text", hint: "Save it as UTF-8")
        }
        return text
    }
}
