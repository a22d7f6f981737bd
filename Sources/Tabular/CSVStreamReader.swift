import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a CSV file one record at a time, in bounded memory, for inputs too large to hold whole
/// (``CSVTable`` keeps every cell). The same dialect as ``CSVTable``: RFC 4180 quoting (quoted
/// fields may hold commas, doubled quotes and line breaks), `\n` or `\r\n` line ends, a leading
/// UTF-8 byte-order mark skipped, blank lines skipped, fields trimmed of surrounding spaces, a
/// header row first. Accepts what ``InputFile`` accepts: regular files, pipes, `/dev/null` and
/// `-` for standard input.
///
/// ```swift
/// let reader = try CSVStreamReader(path: "big.csv")
/// let value = try reader.requireColumn("value")
/// while let record = try reader.next() { use(record.fields[value], record.line) }
/// ```
public final class CSVStreamReader {
    /// The file name used in error messages.
    public let source: String
    /// Column names from the header row, trimmed.
    public private(set) var header: [String] = []

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var line = 1
    private var started = false

    /// Opens `path` and reads its header. Throws a ``TabularError`` when the file is missing,
    /// unreadable, a directory, empty, or its header names a column twice.
    public init(path: String) throws {
        source = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
        } else {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw TabularError(
                    file: path,
                    problem: "no such file",
                    hint:
                        "Check the path (relative paths are resolved from \(FileManager.default.currentDirectoryPath))"
                )
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                throw TabularError(file: path, problem: "is a directory, not a CSV file")
            }
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw TabularError(
                    file: path,
                    problem: "cannot be read (\(AtomicFile.describe(errno)))",
                    hint: "Check the file's permissions"
                )
            }
            ownsDescriptor = true
        }
        buffer.reserveCapacity(1 << 16)
        guard let first = try nextRecord() else {
            throw TabularError(
                file: path,
                line: 1,
                problem: "is empty; expected a header row",
                hint: "The first line must name the columns"
            )
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw TabularError(file: path, line: 1, column: name, problem: "the header names column '\(name)' twice")
        }
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// The index of column `name`, or nil.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The index of column `name`; throws naming the file, the columns it has, and `purpose`.
    public func requireColumn(_ name: String, purpose: String? = nil) throws -> Int {
        if let index = columnIndex(name) { return index }
        var hint = "The file has columns: \(header.joined(separator: ", "))"
        if let purpose { hint = "\(purpose). " + hint }
        throw TabularError(
            file: source,
            line: 1,
            column: name,
            problem: "missing required column '\(name)'",
            hint: hint
        )
    }

    /// The next data record and the 1-based line it starts on, or nil at the end. Throws when a
    /// record has a different number of fields than the header, or a quote is never closed.
    public func next() throws -> (fields: [String], line: Int)? {
        guard let record = try nextRecord() else { return nil }
        guard record.fields.count == header.count else {
            throw TabularError(
                file: source,
                line: record.line,
                problem: "has \(record.fields.count) fields but the header has \(header.count)",
                hint: "Quote fields that contain commas"
            )
        }
        return record
    }

    /// A ``TabularError`` about one cell.
    public func cellError(line: Int, column: Int, _ problem: String, hint: String? = nil) -> TabularError {
        TabularError(file: source, line: line, column: header[column], problem: problem, hint: hint)
    }

    // MARK: bytes

    private func fill() throws -> Bool {
        if atEnd { return false }
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TabularError(file: source, problem: "cannot be read (\(AtomicFile.describe(errno)))")
            }
            if n == 0 {
                atEnd = true
                return false
            }
            buffer.append(contentsOf: chunk[0..<n])
            if !started {
                started = true
                if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
            }
            return true
        }
    }

    private func peek() throws -> UInt8? {
        if position >= buffer.count {
            guard try fill(), position < buffer.count else { return nil }
        }
        return buffer[position]
    }

    /// The longest field t2 accepts (a guard against a file without line breaks growing memory
    /// without bound).
    static let largestField = 1 << 20

    private func nextRecord() throws -> (fields: [String], line: Int)? {
        while true {
            guard let first = try peek() else { return nil }
            // blank lines
            if first == UInt8(ascii: "\n") {
                position += 1
                line += 1
                continue
            }
            if first == UInt8(ascii: "\r") {
                position += 1
                continue
            }
            break
        }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        func finishField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw TabularError(
                    file: source,
                    line: startLine,
                    problem: "is not UTF-8 text",
                    hint: "Save it as UTF-8"
                )
            }
            fields.append(wasQuoted ? text : text.trimmingCharacters(in: .whitespaces))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while true {
            guard let byte = try peek() else {
                if quoted {
                    throw TabularError(
                        file: source,
                        line: startLine,
                        problem: "is not valid CSV (a quoted field is never closed)",
                        hint: "Close the quote, or double quotes inside a quoted field (\"\")"
                    )
                }
                try finishField()
                return (fields, startLine)
            }
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if try peek() == UInt8(ascii: "\"") {
                        position += 1
                        field.append(byte)
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: ","):
                    try finishField()
                case UInt8(ascii: "\n"):
                    line += 1
                    try finishField()
                    return (fields, startLine)
                case UInt8(ascii: "\r"):
                    continue
                case UInt8(ascii: "\"") where field.allSatisfy({ $0 == UInt8(ascii: " ") }):
                    field.removeAll(keepingCapacity: true)
                    quoted = true
                    wasQuoted = true
                default:
                    field.append(byte)
                }
            }
            if field.count > Self.largestField {
                throw TabularError(
                    file: source,
                    line: startLine,
                    problem: "has a field longer than \(Self.largestField) bytes",
                    hint: "Check that the file is CSV"
                )
            }
        }
    }
}
