import LoadTesting
import Testing

@Suite("SSE parser (WHATWG event-stream interpretation)")
struct SSEParserTests {
    func parse(_ text: String) -> [SSEEvent] {
        var p = SSEParser()
        return p.feed(Array(text.utf8))
    }

    @Test("LF, CRLF and lone CR all end lines")
    func lineEnds() {
        for sep in ["\n", "\r\n", "\r"] {
            let events = parse("data: a\(sep)\(sep)data: b\(sep)\(sep)")
            #expect(events.map(\.text) == ["a", "b"], "separator \(sep.debugDescription)")
        }
    }

    @Test("events split at every byte position parse the same")
    func arbitrarySplits() {
        let text = "\u{FEFF}: ping\r\nevent: update\r\ndata: {\"x\":1}\r\ndata: second\r\n\r\ndata: [DONE]\r\n\r\n"
        let bytes = Array(text.utf8)
        let whole = parse(text)
        #expect(whole.count == 2)
        #expect(whole[0].type == "update")
        #expect(whole[0].text == "{\"x\":1}\nsecond")
        #expect(whole[1].isDone)
        for cut in 0...bytes.count {
            var p = SSEParser()
            let events = p.feed(bytes[0..<cut]) + p.feed(bytes[cut...])
            #expect(events == whole, "cut at \(cut)")
        }
        // Byte by byte, including a CRLF split between reads.
        var p = SSEParser()
        var events: [SSEEvent] = []
        for b in bytes { events += p.feed([b]) }
        #expect(events == whole)
    }

    @Test("comments are ignored, one leading space is stripped, a field without colon is empty")
    func fields() {
        let events = parse(": comment\ndata:no-space\ndata:  two-spaces\ndata\n\n")
        #expect(events.count == 1)
        #expect(events[0].text == "no-space\n two-spaces\n")
        #expect(events[0].type == "message")
    }

    @Test("an event without data is not dispatched; empty data is")
    func emptyData() {
        #expect(parse("event: x\n\n").isEmpty)
        #expect(parse("id: 5\n\n").isEmpty)
        let events = parse("data:\n\n")
        #expect(events.count == 1)
        #expect(events[0].data.isEmpty)
    }

    @Test("the event type resets after dispatch; id persists")
    func typeAndID() {
        let events = parse("event: error\nid: 7\ndata: x\n\ndata: y\n\n")
        #expect(events.map(\.type) == ["error", "message"])
        #expect(events.map(\.id) == ["7", "7"])
    }

    @Test("a BOM is stripped only at the start; a false start is replayed")
    func bom() {
        #expect(parse("\u{FEFF}data: a\n\n").map(\.text) == ["a"])
        var p = SSEParser()
        let events = p.feed([0xEF, 0x62] + Array("ad: x\n\ndata: z\n\n".utf8))
        // 0xEF 0x62 'a' 'd' is not a BOM: the line is the unknown field "\u{FFFD}bad" and ignored.
        #expect(events.map(\.text) == ["z"])
    }

    @Test("error: lines (old llama.cpp) surface as error events")
    func errorField() {
        let events = parse("error: {\"message\":\"boom\"}\n\n")
        #expect(events.count == 1)
        #expect(events[0].type == "error")
        #expect(events[0].text == "{\"message\":\"boom\"}")
    }

    @Test("finish returns an event left without its blank line")
    func finishPending() {
        var p = SSEParser()
        #expect(p.feed(Array("data: a\n\ndata: [DONE]".utf8)).map(\.text) == ["a"])
        let last = p.finish()
        #expect(last?.isDone == true)
        #expect(p.finish() == nil)
    }
}

@Suite("JSON reader")
struct JSONValueTests {
    @Test("objects, arrays, numbers, literals")
    func basics() throws {
        let v = try JSONValue.parse(#"{"a":[1,-2.5,3e2,true,false,null],"b":{"c":"d"}}"#)
        #expect(v["a"]?[0]?.intValue == 1)
        #expect(v["a"]?[1]?.doubleValue == -2.5)
        #expect(v["a"]?[2]?.doubleValue == 300)
        #expect(v["a"]?[3] == .bool(true))
        #expect(v["a"]?[5]?.isNull == true)
        #expect(v["b"]?["c"]?.stringValue == "d")
        #expect(v["missing"] == nil)
    }

    @Test("string escapes and surrogate pairs")
    func escapes() throws {
        let v = try JSONValue.parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "plain"]"#)
        #expect(v[0]?.stringValue == "a\"b\\c/d\n\t")
        #expect(v[1]?.stringValue == "é😀")
        #expect(v[2]?.stringValue == "plain")
    }

    @Test("malformed input throws with an offset")
    func malformed() {
        for bad in ["{", "{\"a\":}", "[1,]", "tru", "\"abc", "{\"a\":1} x", "01x", ""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    @Test("quote round-trips")
    func quote() throws {
        let s = "line\n\"quoted\" \\ tab\t \u{1} é"
        #expect(try JSONValue.parse(JSONValue.quote(s)).stringValue == s)
    }

    @Test("a line, or an event's data lines, longer than the bound stop the parser instead of growing it")
    func bounded() {
        var p = SSEParser(maxEventBytes: 100)
        let events = p.feed(Array(("data: " + String(repeating: "x", count: 50) + "\n\n").utf8))
        #expect(events.count == 1 && !p.overflowed)
        _ = p.feed(Array(String(repeating: "y", count: 200).utf8))
        #expect(p.overflowed)
        #expect(p.feed(Array("\n\ndata: z\n\n".utf8)).isEmpty)
        #expect(p.finish() == nil)
        var q = SSEParser(maxEventBytes: 100)
        for _ in 0..<10 { _ = q.feed(Array("data: 0123456789012345\n".utf8)) }
        #expect(q.overflowed)
    }
}
