import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files so that a reader never sees a half-written file.
///
/// The data go to a temporary file in the destination's directory, are flushed to disk, and the
/// temporary file is renamed over the destination. On any failure — a full disk, a directory that
/// does not exist or cannot be written — the temporary file is removed, the destination is left
/// as it was, and the error names the path and says what to do.
///
/// The destination is treated with care:
/// - a symbolic link is followed: the file it points to is replaced, the link stays;
/// - an existing file keeps its permissions (a 0600 file stays 0600); a new file gets 0666 less
///   the process's umask, as `open(2)` would give it;
/// - anything that is not a regular file (a directory, a FIFO, a device such as `/dev/null`) is
///   refused rather than replaced.
public enum AtomicFile {
    /// Writes `data` to `path` atomically; throws a ``TabularError`` naming the path on failure.
    public static func write(_ data: Data, to path: String) throws {
        let target = try resolve(path)
        let directory = (target as NSString).deletingLastPathComponent
        let directoryPath = directory.isEmpty ? "." : directory
        var directoryStatus = stat()
        guard stat(directoryPath, &directoryStatus) == 0 else {
            throw TabularError(
                file: path,
                problem: "cannot be written: directory \(directoryPath) does not exist",
                hint: "Create the directory first, or choose another path"
            )
        }
        guard directoryStatus.st_mode & S_IFMT == S_IFDIR else {
            throw TabularError(file: path, problem: "cannot be written: \(directoryPath) is not a directory")
        }

        // The existing file's permissions, or the umask's default for a new one.
        var mode: mode_t
        var existing = stat()
        if stat(target, &existing) == 0 {
            mode = existing.st_mode & 0o7777
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }

        let name = (target as NSString).lastPathComponent
        var template = Array("\(directoryPath)/.\(name).t2-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw TabularError(
                file: path,
                problem: "cannot be written: \(describe(errno)) in \(directoryPath)",
                hint: hint(for: errno)
            )
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var closed = false
        func fail(_ code: Int32) -> TabularError {
            if !closed { close(fd) }
            unlink(temporary)
            return TabularError(file: path, problem: "cannot be written: \(describe(code))", hint: hint(for: code))
        }

        var written = 0
        let failure: Int32? = data.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            while written < raw.count {
                let n = Foundation.write(fd, base + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        if let failure { throw fail(failure) }
        if fchmod(fd, mode) != 0 { throw fail(errno) }
        if fsync(fd) != 0 { throw fail(errno) }
        closed = true
        if close(fd) != 0 { throw fail(errno) }
        if rename(temporary, target) != 0 { throw fail(errno) }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// The regular file that writing `path` should replace: symbolic links followed (relative
    /// targets resolved against the link's directory), anything that exists but is not a regular
    /// file refused.
    static func resolve(_ path: String) throws -> String {
        guard !path.isEmpty else {
            throw TabularError(file: "''", problem: "is not a file name", hint: "Give a path to write to")
        }
        var current = path
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0 else { return current }  // does not exist yet
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                return current
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(current, &buffer, buffer.count - 1)
                guard n >= 0 else { return current }
                let destination = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current =
                    destination.hasPrefix("/")
                    ? destination
                    : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
            case S_IFDIR:
                throw TabularError(
                    file: path,
                    problem: "is a directory",
                    hint: "Give a file path, for example \(path)/result.json"
                )
            default:
                throw TabularError(
                    file: path,
                    problem: "is not a regular file (a device, FIFO or socket); t2 writes only regular files",
                    hint: "Leave out --out to print to standard output, and redirect that"
                )
            }
        }
        throw TabularError(file: path, problem: "has too many levels of symbolic links")
    }

    /// An `errno` in words for a message: the common file-system failures said plainly, any
    /// other code as the C library's `strerror` says it.
    public static func describe(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "the file system is read-only"
        case EDQUOT: return "the disk quota is exceeded"
        default: return String(cString: strerror(code))
        }
    }

    static func hint(for code: Int32) -> String? {
        switch code {
        case ENOSPC, EDQUOT: return "Free some space or write elsewhere; nothing was changed at this path"
        case EACCES, EPERM, EROFS: return "Choose a path in a directory you can write to"
        default: return nil
        }
    }
}
