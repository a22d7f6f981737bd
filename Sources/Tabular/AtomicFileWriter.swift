import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ``AtomicFile`` for output written piece by piece (a report of a million rows need not be held
/// in memory): the pieces go to a temporary file in the destination's directory, and
/// ``commit()`` flushes it and renames it over the destination with the rules of ``AtomicFile``
/// (symbolic links followed, the existing mode kept, non-regular files refused). A writer
/// dropped without `commit()` removes its temporary file and leaves the destination as it was.
///
/// ```swift
/// let writer = try AtomicFileWriter(path: "rows.csv")
/// try writer.write("id,value\n")
/// try writer.commit()
/// ```
public final class AtomicFileWriter {
    /// The path given.
    public let path: String
    private let target: String
    private let temporary: String
    private let mode: mode_t
    private var fd: Int32
    private var pending: [UInt8] = []
    private var finished = false

    /// Creates the temporary file next to `path`; throws a ``TabularError`` naming the path when
    /// it cannot be written.
    public init(path: String) throws {
        self.path = path
        target = try AtomicFile.resolve(path)
        let directory = (target as NSString).deletingLastPathComponent
        let directoryPath = directory.isEmpty ? "." : directory
        var directoryStatus = stat()
        guard stat(directoryPath, &directoryStatus) == 0, directoryStatus.st_mode & S_IFMT == S_IFDIR else {
            throw TabularError(
                file: path,
                problem: "cannot be written: directory \(directoryPath) does not exist",
                hint: "Create the directory first, or choose another path"
            )
        }
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
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw TabularError(
                file: path,
                problem: "cannot be written: \(AtomicFile.describe(errno)) in \(directoryPath)",
                hint: AtomicFile.hint(for: errno)
            )
        }
        temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        if !finished {
            close(fd)
            unlink(temporary)
        }
    }

    /// Appends UTF-8 `text`.
    public func write(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        var written = 0
        while written < pending.count {
            let n = pending.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(errno)
            }
            written += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func fail(_ code: Int32) -> TabularError {
        if !finished {
            finished = true
            close(fd)
            unlink(temporary)
        }
        return TabularError(
            file: path,
            problem: "cannot be written: \(AtomicFile.describe(code))",
            hint: AtomicFile.hint(for: code)
        )
    }

    /// Flushes to disk and renames the temporary file over the destination.
    public func commit() throws {
        guard !finished else { return }
        try flush()
        if fchmod(fd, mode) != 0 { throw fail(errno) }
        if fsync(fd) != 0 { throw fail(errno) }
        finished = true
        if close(fd) != 0 {
            unlink(temporary)
            throw TabularError(file: path, problem: "cannot be written: \(AtomicFile.describe(errno))")
        }
        if rename(temporary, target) != 0 {
            let code = errno
            unlink(temporary)
            throw TabularError(
                file: path,
                problem: "cannot be written: \(AtomicFile.describe(code))",
                hint: AtomicFile.hint(for: code)
            )
        }
    }
}
