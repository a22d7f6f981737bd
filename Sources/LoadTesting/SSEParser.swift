/// One dispatched server-sent event.
///
/// `type` is the `event:` field ("message" when absent); `data` is the `data:` lines joined with
/// LF, the trailing LF removed (WHATWG HTML §9.2.6, "dispatch the event").
public struct SSEEvent: Sendable, Equatable {
    public var type: String
    public var data: [UInt8]
    public var id: String?

    public init(type: String = "message", data: [UInt8], id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }

    /// The data as UTF-8 text (invalid sequences replaced).
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// Whether the data is exactly `[DONE]`, the OpenAI end-of-stream sentinel.
    public var isDone: Bool { data.count == 6 && data.elementsEqual("[DONE]".utf8) }
}

/// An incremental parser for `text/event-stream` over raw bytes, following WHATWG HTML
/// "9.2.6 Interpreting an event stream":
///
/// - lines end with CRLF, a lone LF or a lone CR, and a CRLF split across two reads is still one
///   line end;
/// - a leading UTF-8 byte-order mark is stripped;
/// - a blank line dispatches the pending event; an event whose data buffer is empty is not
///   dispatched;
/// - a line starting with `:` is a comment (llama.cpp and others send these as keep-alive pings);
/// - otherwise the line splits at the first `:` into field and value, one leading space is removed
///   from the value, and a line without `:` is a field with an empty value;
/// - `data` appends value + LF to the data buffer, `event` sets the type, `id` the last event id
///   (ignored when it contains NUL), `retry` and unknown fields are ignored.
///
/// One deliberate extension: a field named `error` (older llama.cpp servers write
/// `error: {...}` lines for failures inside a 200 stream) is surfaced as an event of type
/// `"error"` rather than silently ignored, so such failures are never scored as successes.
///
/// Bytes may arrive in arbitrary pieces (half a line, half a UTF-8 sequence, many events at once);
/// the parser keeps the incomplete line between calls. It does no allocation per byte and no
/// asynchronous hop, so it can run inside the network read path and keep arrival timestamps exact.
///
/// Memory is bounded: a line, or the data of one event, longer than ``maxEventBytes`` sets
/// ``overflowed`` and the parser stops buffering (a server that streams one endless line would
/// otherwise grow the client without limit). The caller reports it as an error.
public struct SSEParser: Sendable {
    /// The default bound on one line and on one event's data: 8 MiB, far above any real chunk
    /// (a token chunk is ~200 bytes; a final chunk with timings or logprobs a few kilobytes).
    public static let defaultMaxEventBytes = 8 << 20

    /// The bound on one line and on one event's accumulated data, in bytes.
    public let maxEventBytes: Int
    /// Set when a line or an event's data passed ``maxEventBytes``; no event is dispatched after it.
    public private(set) var overflowed = false

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String? = nil
    private var lastEventID: String? = nil
    private var lastWasCR = false
    private var bomBytesSeen = 0
    private var bomDone = false
    private var sawErrorField = false

    /// A parser that bounds each line and each event's data at `maxEventBytes` bytes.
    public init(maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        self.maxEventBytes = max(64, maxEventBytes)
        line.reserveCapacity(256)
        data.reserveCapacity(256)
    }

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let cr: UInt8 = 13
    private static let lf: UInt8 = 10
    private static let colon: UInt8 = 58
    private static let space: UInt8 = 32

    /// Feeds bytes; calls `dispatch` for every event completed by them, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes, dispatch: (SSEEvent) -> Void)
    where Bytes.Element == UInt8 {
        for byte in bytes {
            if overflowed { return }
            if !bomDone {
                if byte == Self.bom[bomBytesSeen] {
                    bomBytesSeen += 1
                    if bomBytesSeen == 3 { bomDone = true }
                    continue
                }
                // Not a BOM after all: replay the bytes taken so far as ordinary input.
                bomDone = true
                let held = Self.bom[0..<bomBytesSeen]
                for b in held { consume(b, dispatch: dispatch) }
            }
            consume(byte, dispatch: dispatch)
        }
    }

    /// Convenience: feeds bytes and returns the completed events.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        feed(bytes) { events.append($0) }
        return events
    }

    /// At end of stream: the event that was still pending (its data lines seen but no closing
    /// blank line), if any. WHATWG discards it; callers may accept it leniently (vLLM's client
    /// accepts a final `[DONE]` or JSON event without the blank line).
    public mutating func finish() -> SSEEvent? {
        if overflowed { return nil }
        if !line.isEmpty { processLine(dispatch: { _ in }) }
        guard hasData else { return nil }
        var d = data
        if d.last == Self.lf { d.removeLast() }
        let event = SSEEvent(type: eventType ?? "message", data: d, id: lastEventID)
        resetEvent()
        return event
    }

    @inline(__always)
    private mutating func consume(_ byte: UInt8, dispatch: (SSEEvent) -> Void) {
        if byte == Self.lf {
            if lastWasCR {
                lastWasCR = false
                return
            }  // the LF of a CRLF
            processLine(dispatch: dispatch)
        } else if byte == Self.cr {
            lastWasCR = true
            processLine(dispatch: dispatch)
        } else {
            lastWasCR = false
            if line.count >= maxEventBytes {
                overflow()
                return
            }
            line.append(byte)
        }
    }

    private mutating func overflow() {
        overflowed = true
        line = []
        data = []
        hasData = false
    }

    private mutating func resetEvent() {
        data.removeAll(keepingCapacity: true)
        hasData = false
        eventType = nil
        sawErrorField = false
    }

    private mutating func processLine(dispatch: (SSEEvent) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            // Dispatch. "If the data buffer is an empty string, set the data buffer and the event
            // type buffer to the empty string and return."
            guard hasData else {
                resetEvent()
                return
            }
            var d = data
            if d.last == Self.lf { d.removeLast() }
            let type = sawErrorField ? "error" : (eventType.flatMap { $0.isEmpty ? nil : $0 } ?? "message")
            dispatch(SSEEvent(type: type, data: d, id: lastEventID))
            resetEvent()
            return
        }
        if line[0] == Self.colon { return }  // comment
        let colonIndex = line.firstIndex(of: Self.colon)
        let fieldEnd = colonIndex ?? line.endIndex
        var valueStart = colonIndex.map { $0 + 1 } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == Self.space { valueStart += 1 }
        let field = line[0..<fieldEnd]
        let value = line[valueStart..<line.endIndex]
        switch field.count {
        case 4 where field.elementsEqual("data".utf8):
            if data.count + value.count >= maxEventBytes {
                overflow()
                return
            }
            data.append(contentsOf: value)
            data.append(Self.lf)
            hasData = true
        case 5 where field.elementsEqual("event".utf8):
            eventType = String(decoding: value, as: UTF8.self)
        case 5 where field.elementsEqual("error".utf8):
            if data.count + value.count >= maxEventBytes {
                overflow()
                return
            }
            data.append(contentsOf: value)
            data.append(Self.lf)
            hasData = true
            sawErrorField = true
        case 2 where field.elementsEqual("id".utf8):
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        default:
            break  // retry and unknown fields are ignored
        }
    }
}
