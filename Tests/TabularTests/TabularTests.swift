import Foundation
import T2TestSupport
import Tabular
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("CSVWriter: RFC 4180 output that CSVTable reads back")
struct CSVWriterTests {
    @Test(
        "awkward fields survive a round trip",
        arguments: [
            "llama, 8b", "say \"hi\"", "two\nlines", " padded ", "plain", "", "a,\"b\",\nc", "ümlaut, ok",
            "carriage\rreturn",
        ]
    )
    func roundTrip(field: String) throws {
        var csv = CSVWriter(header: ["model", "value"])
        csv.append([field, "1.5"])
        let table = try CSVTable(string: csv.text, source: "memory")
        #expect(table.count == 1)
        // CSVTable trims unquoted whitespace only; the writer quotes fields with edge spaces.
        #expect(table.text(row: 0, column: 0) == field.replacingOccurrences(of: "\r", with: "\r"))
        #expect(table.text(row: 0, column: 1) == "1.5")
    }

    @Test("fields are quoted only when needed")
    func quoting() {
        #expect(CSVWriter.field("abc") == "abc")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("a\"b") == "\"a\"\"b\"")
        #expect(CSVWriter.line(["x", "y,z"]) == "x,\"y,z\"\n")
    }
}

@Suite("SHA256: the NIST example vectors")
struct SHA256Tests {
    @Test(
        "short messages",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
        ]
    )
    func vectors(message: String, digest: String) {
        #expect(SHA256.hex(Array(message.utf8)) == digest)
    }

    @Test("a million 'a's, fed in uneven pieces")
    func million() {
        var hasher = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 997)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(piece.count, 1_000_000 - fed)
            piece[0..<n].withUnsafeBytes { hasher.update($0) }
            fed += n
        }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite("AtomicFile: whole files or nothing, and care with what is at the path")
struct AtomicFileTests {
    @Test("a new file gets the umask's mode; an existing file keeps its own")
    func modes() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("out.txt")
        try AtomicFile.write("one", to: path)
        #expect(scratch.read("out.txt") == "one")
        chmod(path, 0o600)
        try AtomicFile.write("two", to: path)
        var status = stat()
        stat(path, &status)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(scratch.read("out.txt") == "two")
    }

    @Test("a symbolic link is followed: the target is replaced, the link stays")
    func symlink() throws {
        let scratch = try ScratchDirectory()
        let target = try scratch.write("target.txt", "old")
        let link = scratch.file("link.txt")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.txt")
        try AtomicFile.write("new", to: link)
        #expect(scratch.read("target.txt") == "new")
        let attributes = try FileManager.default.attributesOfItem(atPath: link)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        _ = target
    }

    @Test("a directory, a FIFO and a device are refused with what to do")
    func nonRegular() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.file("pipe")
        #expect(mkfifo(fifo, 0o644) == 0)
        for path in [scratch.path, fifo, "/dev/null"] {
            do {
                try AtomicFile.write("x", to: path)
                Issue.record("expected an error writing \(path)")
            } catch {
                #expect(error.localizedDescription.contains(path))
            }
        }
        var status = stat()
        stat("/dev/null", &status)
        #expect(status.st_mode & S_IFMT == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["pipe"])
    }

    @Test("a missing directory names the path and leaves nothing behind")
    func missingDirectory() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("nope/out.txt")
        #expect(throws: TabularError.self) { try AtomicFile.write("x", to: path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }
}

@Suite("InputFile: pipes, /dev/null and byte-order marks read like files")
struct InputFileTests {
    @Test("/dev/null is an empty file")
    func devNull() throws {
        #expect(try InputFile.read("/dev/null").isEmpty)
    }

    @Test("a FIFO is read to its end")
    func fifo() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("pipe")
        #expect(mkfifo(path, 0o644) == 0)
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            _ = "a,b\n1,2\n".withCString { write(fd, $0, 8) }
            close(fd)
        }
        writer.start()
        #expect(try InputFile.text(path) == "a,b\n1,2\n")
    }

    @Test("a UTF-8 byte-order mark is dropped")
    func bom() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("bom.csv")
        try Data([0xEF, 0xBB, 0xBF] + Array("x\n1\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(try InputFile.text(path) == "x\n1\n")
    }

    @Test("a missing file and a directory say so")
    func errors() throws {
        let scratch = try ScratchDirectory()
        #expect(throws: TabularError.self) { try InputFile.read(scratch.file("missing")) }
        do {
            _ = try InputFile.read(scratch.path)
        } catch {
            #expect(error.localizedDescription.contains("is a directory"))
        }
    }
}

@Suite("CSVTable reads what users hand it")
struct CSVTableInputTests {
    @Test("/dev/null is an empty file, not a permission problem")
    func devNull() throws {
        do {
            _ = try CSVTable(contentsOf: "/dev/null")
            Issue.record("an empty file has no header")
        } catch {
            #expect(error.localizedDescription.contains("/dev/null:1: is empty; expected a header row"))
        }
    }

    @Test("a BOM before the header does not become part of the first column's name")
    func bom() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("bom.csv")
        try Data([0xEF, 0xBB, 0xBF] + Array("params,loss\n1e8,3.1\n".utf8)).write(to: URL(fileURLWithPath: path))
        let table = try CSVTable(contentsOf: path)
        #expect(table.header == ["params", "loss"])
        #expect(try table.double(row: 0, column: 0) == 1e8)
    }
}
