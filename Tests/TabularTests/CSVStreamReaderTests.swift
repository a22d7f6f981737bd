import Foundation
import T2TestSupport
import Tabular
import Testing

@Suite("CSVStreamReader and AtomicFileWriter")
struct CSVStreamReaderTests {
    func records(_ text: String) throws -> (header: [String], rows: [([String], Int)]) {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("t.csv", text)
        let reader = try CSVStreamReader(path: path)
        var rows: [([String], Int)] = []
        while let r = try reader.next() { rows.append((r.fields, r.line)) }
        return (reader.header, rows)
    }

    @Test("RFC 4180: quoted commas, doubled quotes, line breaks in fields, CRLF, BOM, blank lines; lines counted")
    func dialect() throws {
        let text = "\u{FEFF}name, value\r\n\"llama, 8b\",1\r\n\r\n\"say \"\"hi\"\"\",2\n\"two\nlines\",3\n  spaced  ,4"
        let (header, rows) = try records(text)
        #expect(header == ["name", "value"])
        #expect(rows.map(\.0) == [["llama, 8b", "1"], ["say \"hi\"", "2"], ["two\nlines", "3"], ["spaced", "4"]])
        #expect(rows.map(\.1) == [2, 4, 5, 7])
    }

    @Test("what CSVWriter writes, CSVStreamReader reads back (the same as CSVTable)")
    func roundTrip() throws {
        var writer = CSVWriter(header: ["a", "b"])
        let awkward = ["x,y", "\"q\"", " lead", "new\nline", "plain", ""]
        for field in awkward { writer.append([field, "1"]) }
        let (_, rows) = try records(writer.text)
        #expect(rows.map { $0.0[0] } == awkward)
        let table = try CSVTable(string: writer.text, source: "w")
        #expect(table.rows.map { $0[0] } == awkward)
    }

    @Test("errors name the file and line: wrong field count, unclosed quote, empty file, duplicate column")
    func errors() throws {
        #expect(throws: TabularError.self) { try records("a,b\n1,2,3\n") }
        do {
            _ = try records("a,b\n1,2\n3,4,5\n")
        } catch let error as TabularError {
            #expect(error.line == 3 && error.problem.contains("3 fields"))
        }
        do {
            _ = try records("a,b\n\"open,2\n")
        } catch let error as TabularError {
            #expect(error.line == 2 && error.problem.contains("never closed"))
        }
        #expect(throws: TabularError.self) { try records("") }
        #expect(throws: TabularError.self) { try records("a,a\n1,2\n") }
        #expect(throws: TabularError.self) { try CSVStreamReader(path: "/nonexistent/file.csv") }
    }

    @Test("a header-only file and /dev/null read as no rows (the caller decides that is an error)")
    func emptyInputs() throws {
        #expect(try records("a,b\n").rows.isEmpty)
        #expect(throws: TabularError.self) { try CSVStreamReader(path: "/dev/null") }
    }

    @Test("AtomicFileWriter: nothing appears until commit; a dropped writer leaves the old file; the mode is kept")
    func writer() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("out.txt", "old")
        chmod(path, 0o600)
        do {
            let w = try AtomicFileWriter(path: path)
            try w.write("new ")
            #expect(scratch.read("out.txt") == "old")
        }
        #expect(scratch.read("out.txt") == "old")
        let w = try AtomicFileWriter(path: path)
        for i in 0..<20_000 { try w.write("\(i)\n") }
        try w.commit()
        #expect(scratch.read("out.txt")?.hasSuffix("19999\n") == true)
        var status = stat()
        stat(path, &status)
        #expect(status.st_mode & 0o777 == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains(".t2-") }
        #expect(leftovers.isEmpty)
        #expect(throws: TabularError.self) { try AtomicFileWriter(path: scratch.path) }
    }
}
