import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Optimization
import Tabular

/// A base URL split into what the client needs: `http://host:port/prefix`.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path prefix without a trailing slash ("" or "/something").
    public var basePath: String

    /// Parses `http://HOST[:PORT][/PATH]`. HTTPS is not supported (load tests run on local or
    /// private links; put a TLS terminator in front otherwise).
    public init(url: String) throws(LoadTestingError) {
        var rest = Substring(url.trimmingCharacters(in: .whitespaces))
        guard rest.hasPrefix("http://") else {
            throw LoadTestingError.invalidURL(
                url,
                reason: rest.hasPrefix("https://")
                    ? "https is not supported; use http:// (run behind a local TLS terminator for remote servers)"
                    : "expected http://HOST:PORT"
            )
        }
        rest = rest.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[rest.startIndex..<slash]
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v1") { path.removeLast(3) }  // accept base URLs given as …/v1
        var hostPart = Substring(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw LoadTestingError.invalidURL(url, reason: "the port is not a number in 1…65535")
            }
            port = p
            hostPart = authority[authority.startIndex..<colon]
        }
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") { hostPart = hostPart.dropFirst().dropLast() }
        guard !hostPart.isEmpty else { throw LoadTestingError.invalidURL(url, reason: "no host") }
        self.host = String(hostPart)
        self.port = port
        self.basePath = path
    }

    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(basePath)" }
}

/// One streamed POST: a path under the base URL and a JSON body.
public struct StreamingRequest: Sendable {
    public var path: String
    public var body: [UInt8]
    /// Keep the generated content in the record (sampling needs it; load tests do not).
    public var collectText: Bool

    public init(path: String, body: [UInt8], collectText: Bool = false) {
        self.path = path
        self.body = body
        self.collectText = collectText
    }
}

/// Time limits for one request.
public struct RequestTimeouts: Sendable {
    /// A request fails as `timeout` when no bytes arrive for this long.
    public var stall: TimeAmount
    /// A request fails as `timeout` when it has not finished after this long.
    public var total: TimeAmount
    /// Connection establishment limit.
    public var connect: TimeAmount

    public init(stall: TimeAmount = .seconds(30), total: TimeAmount = .seconds(600), connect: TimeAmount = .seconds(10))
    {
        self.stall = stall
        self.total = total
        self.connect = connect
    }
}

/// A lean HTTP/1.1 streaming client on SwiftNIO for OpenAI-compatible servers.
///
/// Keep-alive connections are pooled (one request in flight per connection, as HTTP/1.1 allows;
/// connections are opened on demand, so the number of connections follows the concurrency, never
/// a fixed cap). Each connection's pipeline stamps the arrival time of every read before decoding,
/// parses HTTP (NIOHTTP1), SSE and the JSON chunks on the event loop itself, and completes one
/// future per request: no per-token hop between threads, which keeps the client far from being
/// the bottleneck (see docs/bench.md for the measured ceiling).
public final class StreamingClient: Sendable {
    public let address: ServerAddress
    public let timeouts: RequestTimeouts
    private let group: MultiThreadedEventLoopGroup
    private let idle = Locked<[any Channel]>([])
    private let extraHeaders: [(String, String)]

    /// - Parameters:
    ///   - eventLoopThreads: threads doing network I/O and parsing (1 is enough for thousands of
    ///     requests per second; more help only with many cores).
    ///   - headers: extra request headers (e.g. `Authorization: Bearer …`).
    public init(
        address: ServerAddress,
        timeouts: RequestTimeouts = RequestTimeouts(),
        eventLoopThreads: Int = 1,
        headers: [(String, String)] = []
    ) {
        self.address = address
        self.timeouts = timeouts
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        self.extraHeaders = headers
    }

    /// Closes idle connections and stops the event loops. Call once, after the last request.
    public func shutdown() async {
        let channels = idle.withLock { list -> [any Channel] in
            let l = list
            list.removeAll()
            return l
        }
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
    }

    /// Sends `request` and streams the response; never throws: every failure is in the record.
    ///
    /// The record's start time is taken here, before a connection is taken from the pool (so a
    /// new connection's set-up counts in its TTFT, as for a real client).
    public func send(_ request: StreamingRequest, index: Int, scheduledNanos: UInt64? = nil) async -> RequestRecord {
        let start = MonotonicClock.now()
        let channel: any Channel
        do {
            channel = try await acquire()
        } catch {
            var record = RequestRecord(
                index: index,
                scheduledNanos: scheduledNanos ?? start,
                startNanos: start,
                endNanos: MonotonicClock.now()
            )
            record.failure = RequestFailure(
                kind: .connect,
                message: "could not connect to \(address): \(Self.connectFailureReason(error))"
            )
            return record
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: address.basePath + request.path)
        head.headers.reserveCapacity(6 + extraHeaders.count)
        head.headers.add(name: "Host", value: "\(address.host):\(address.port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Accept", value: "text/event-stream")
        head.headers.add(name: "Content-Length", value: String(request.body.count))
        for (name, value) in extraHeaders { head.headers.add(name: name, value: value) }
        let promise = channel.eventLoop.makePromise(of: StreamCompletion.self)
        let pending = PendingStreamRequest(
            head: head,
            body: ByteBuffer(bytes: request.body),
            index: index,
            scheduledNanos: scheduledNanos ?? start,
            startNanos: start,
            collectText: request.collectText,
            timeouts: timeouts,
            promise: promise
        )
        channel.writeAndFlush(pending, promise: nil)
        let completion: StreamCompletion
        do {
            completion = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.triggerUserOutboundEvent(CancelStream(), promise: nil)
            }
        } catch {
            var record = RequestRecord(
                index: index,
                scheduledNanos: scheduledNanos ?? start,
                startNanos: start,
                endNanos: MonotonicClock.now()
            )
            record.failure = RequestFailure(kind: .connectionDropped, message: "\(error)")
            channel.close(promise: nil)
            return record
        }
        if completion.reusable && channel.isActive {
            idle.withLock { $0.append(channel) }
        } else {
            channel.close(promise: nil)
        }
        return completion.record
    }

    private func acquire() async throws -> any Channel {
        while let channel = idle.withLock({ $0.popLast() }) {
            if channel.isActive { return channel }
        }
        let timeouts = self.timeouts
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeouts.connect)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let clock = ArrivalClock()
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ArrivalStampHandler(clock: clock))
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(SSEStreamHandler(clock: clock))
                }
            }
        return try await bootstrap.connect(host: address.host, port: address.port).get()
    }
}

// MARK: - Pipeline

/// Sent through the pipeline to cancel the request in flight (Ctrl-C).
struct CancelStream: Sendable {}

struct StreamCompletion: Sendable {
    var record: RequestRecord
    var reusable: Bool
}

struct PendingStreamRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var index: Int
    var scheduledNanos: UInt64
    var startNanos: UInt64
    var collectText: Bool
    var timeouts: RequestTimeouts
    var promise: EventLoopPromise<StreamCompletion>
}

/// Loop-confined: the time of the latest socket read of one connection.
final class ArrivalClock {
    var lastRead: UInt64 = 0
}

/// First inbound handler: stamps the time each read came off the socket, before HTTP decoding.
final class ArrivalStampHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let clock: ArrivalClock
    init(clock: ArrivalClock) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.lastRead = MonotonicClock.now()
        context.fireChannelRead(data)
    }
}

/// The state of the request in flight on one connection.
final class InFlightStream {
    let pending: PendingStreamRequest
    var record: RequestRecord
    var parser = SSEParser()
    var keepAlive = true
    var errorBody: [UInt8]? = nil
    var sawDone = false
    var lastActivity: UInt64
    var text: String = ""
    var timer: Scheduled<Void>? = nil

    init(_ pending: PendingStreamRequest) {
        self.pending = pending
        self.record = RequestRecord(
            index: pending.index,
            scheduledNanos: pending.scheduledNanos,
            startNanos: pending.startNanos,
            endNanos: pending.startNanos
        )
        self.lastActivity = MonotonicClock.now()
    }

    func fail(_ kind: RequestErrorKind, _ message: String, status: Int? = nil) {
        if record.failure == nil { record.failure = RequestFailure(kind: kind, status: status, message: message) }
    }
}

/// Writes the request and interprets the streamed response: HTTP status, SSE events, OpenAI chunks
/// (content / reasoning / text tokens, usage, llama.cpp timings, error objects, `[DONE]`).
final class SSEStreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingStreamRequest
    typealias OutboundOut = HTTPClientRequestPart

    let clock: ArrivalClock
    var current: InFlightStream?

    init(clock: ArrivalClock) { self.clock = clock }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let pending = unwrapOutboundIn(data)
        guard current == nil else {
            var record = RequestRecord(
                index: pending.index,
                scheduledNanos: pending.scheduledNanos,
                startNanos: pending.startNanos,
                endNanos: MonotonicClock.now()
            )
            record.failure = RequestFailure(kind: .connectionDropped, message: "internal: connection already busy")
            pending.promise.succeed(StreamCompletion(record: record, reusable: false))
            promise?.succeed()
            return
        }
        let stream = InFlightStream(pending)
        current = stream
        context.write(wrapOutboundOut(.head(pending.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(pending.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
        armTimer(context: context, stream: stream, after: pending.timeouts.stall)
    }

    func flush(context: ChannelHandlerContext) { context.flush() }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if event is CancelStream, let stream = current {
            stream.fail(.cancelled, "cancelled before the response ended")
            complete(context: context, reusable: false)
            context.close(promise: nil)
            promise?.succeed()
            return
        }
        context.triggerUserOutboundEvent(event, promise: promise)
    }

    private func armTimer(context: ChannelHandlerContext, stream: InFlightStream, after delay: TimeAmount) {
        let loop = context.eventLoop.assumeIsolated()
        stream.timer = loop.scheduleTask(in: delay) { [weak self, weak stream] in
            guard let self, let stream, self.current === stream else { return }
            let now = MonotonicClock.now()
            let t = stream.pending.timeouts
            let idle = Int64(now &- stream.lastActivity)
            let age = Int64(now &- stream.pending.startNanos)
            if age >= t.total.nanoseconds {
                stream.fail(.timeout, "the request did not finish within \(Double(t.total.nanoseconds) / 1e9) s")
            } else if idle >= t.stall.nanoseconds {
                stream.fail(
                    .timeout,
                    "the server sent no bytes for \(Double(t.stall.nanoseconds) / 1e9) s (stalled after \(stream.record.tokenEventNanos.count) token events)"
                )
            } else {
                let next = min(t.stall.nanoseconds - idle, t.total.nanoseconds - age)
                self.armTimer(context: context, stream: stream, after: .nanoseconds(max(next, 1_000_000)))
                return
            }
            stream.record.endNanos = now
            self.complete(context: context, reusable: false)
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let stream = current else { return }
        let t = clock.lastRead
        stream.lastActivity = t
        switch unwrapInboundIn(data) {
        case .head(let head):
            stream.record.headersNanos = t
            stream.record.status = Int(head.status.code)
            stream.keepAlive = head.isKeepAlive
            if !(200..<300).contains(head.status.code) {
                stream.errorBody = []
            }
        case .body(let buffer):
            if stream.errorBody != nil {
                if stream.errorBody!.count < 2048 {
                    buffer.withUnsafeReadableBytes {
                        stream.errorBody!.append(contentsOf: $0.prefix(2048 - stream.errorBody!.count))
                    }
                }
                return
            }
            if stream.sawDone { return }
            buffer.withUnsafeReadableBytes { bytes in
                stream.parser.feed(bytes) { event in self.handle(event, at: t, stream: stream) }
            }
            if stream.parser.overflowed {
                stream.fail(
                    .oversizedEvent,
                    "the server sent an SSE line or event longer than \(stream.parser.maxEventBytes) bytes; the stream was abandoned"
                )
                stream.record.endNanos = t
                complete(context: context, reusable: false)
                context.close(promise: nil)
            }
        case .end:
            if let errorBody = stream.errorBody {
                let status = stream.record.status ?? 0
                let body = String(decoding: errorBody, as: UTF8.self)
                let message =
                    (try? JSONValue.parse(errorBody)).flatMap {
                        $0["error"]?["message"]?.stringValue ?? $0["detail"]?.stringValue ?? $0["message"]?.stringValue
                    } ?? body
                stream.fail(.httpStatus, "HTTP \(status): \(message.prefix(300))", status: status)
            } else if !stream.sawDone, let last = stream.parser.finish() {
                handle(last, at: t, stream: stream)
            }
            if !stream.sawDone { stream.record.endNanos = t }
            if stream.record.failure == nil && stream.record.tokenEventNanos.isEmpty {
                stream.fail(.noTokens, "the stream ended without any content, reasoning or text token")
            }
            complete(context: context, reusable: stream.keepAlive)
        }
    }

    private func handle(_ event: SSEEvent, at t: UInt64, stream: InFlightStream) {
        if event.type == "error" {
            stream.fail(.streamError, "error event in the stream: \(event.text.prefix(300))")
            return
        }
        if event.isDone {
            stream.sawDone = true
            stream.record.endNanos = t
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(event.data)
        } catch {
            stream.fail(.malformedStream, "SSE data is not JSON (\(error)): \(event.text.prefix(120))")
            return
        }
        if let error = json["error"], !error.isNull {
            let message = error["message"]?.stringValue ?? error.stringValue ?? "\(error)"
            stream.fail(.streamError, "error object in the stream: \(message.prefix(300))")
            return
        }
        if case .array(let choices)? = json["choices"] {
            // One event is one token event however many choices it carries (n > 1 streams
            // interleave choices, usually one per event). Text is collected for choice 0.
            var token = false
            for choice in choices {
                let index = choice["index"]?.intValue ?? 0
                let first = index == 0
                if let delta = choice["delta"] {
                    if let s = delta["content"]?.stringValue, !s.isEmpty {
                        token = true
                        if stream.pending.collectText && first { stream.text += s }
                    } else if let s = delta["reasoning_content"]?.stringValue ?? delta["reasoning"]?.stringValue,
                        !s.isEmpty
                    {
                        token = true
                    }
                } else if let s = choice["text"]?.stringValue, !s.isEmpty {
                    token = true
                    if stream.pending.collectText && first { stream.text += s }
                }
                if token, index >= 0, index < 4096 {
                    stream.record.choicesSeen = max(stream.record.choicesSeen, index + 1)
                }
                if let reason = choice["finish_reason"]?.stringValue { stream.record.finishReason = reason }
            }
            if token { stream.record.tokenEventNanos.append(t) }
        }
        if let usage = json["usage"], !usage.isNull {
            if let p = usage["prompt_tokens"]?.intValue { stream.record.promptTokens = p }
            if let c = usage["completion_tokens"]?.intValue { stream.record.completionTokens = c }
            if let cached = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue {
                stream.record.cachedPromptTokens = cached
            }
        }
        if let timings = json["timings"], !timings.isNull {
            let cached = timings["cache_n"]?.intValue
            stream.record.serverTimings = ServerTimings(
                promptTokens: timings["prompt_n"]?.intValue,
                promptMilliseconds: timings["prompt_ms"]?.doubleValue,
                predictedTokens: timings["predicted_n"]?.intValue,
                predictedMilliseconds: timings["predicted_ms"]?.doubleValue,
                cachedTokens: cached
            )
            if stream.record.cachedPromptTokens == nil, let cached { stream.record.cachedPromptTokens = cached }
        }
    }

    private func complete(context: ChannelHandlerContext, reusable: Bool) {
        guard let stream = current else { return }
        current = nil
        stream.timer?.cancel()
        stream.timer = nil
        if stream.record.endNanos < stream.record.startNanos || stream.record.endNanos == stream.pending.startNanos {
            stream.record.endNanos = max(clock.lastRead, stream.record.startNanos)
        }
        if stream.pending.collectText { stream.record.text = stream.text }
        let ok =
            reusable
            && stream.record.failure.map { $0.kind == .httpStatus || $0.kind == .streamError || $0.kind == .noTokens }
                ?? true
        stream.pending.promise.succeed(StreamCompletion(record: stream.record, reusable: ok))
        if !ok { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let stream = current {
            stream.fail(
                .connectionDropped,
                "the server closed the connection before the response ended (\(stream.record.tokenEventNanos.count) token events received)"
            )
            stream.record.endNanos = MonotonicClock.now()
            complete(context: context, reusable: false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let stream = current {
            if let parserError = error as? HTTPParserError, parserError == .invalidEOFState {
                stream.fail(
                    .connectionDropped,
                    "the server closed the connection in the middle of the response (\(stream.record.tokenEventNanos.count) token events received)"
                )
            } else if error is HTTPParserError {
                stream.fail(.malformedStream, "invalid HTTP response: \(error)")
            } else {
                stream.fail(.connectionDropped, "connection error: \(error)")
            }
            stream.record.endNanos = MonotonicClock.now()
            complete(context: context, reusable: false)
        }
        context.close(promise: nil)
    }
}

extension StreamingClient {
    /// Why a connection could not be made, in the operating system's words ("Connection refused
    /// (errno 111)", "DNS lookup failed: …") rather than NIO's nested error descriptions.
    static func connectFailureReason(_ error: any Error) -> String {
        func reason(_ error: any Error) -> String {
            if let io = error as? IOError {
                return "\(AtomicFile.describe(io.errnoCode)) (errno \(io.errnoCode))"
            }
            return "\(error)"
        }
        guard let connection = error as? NIOConnectionError else { return reason(error) }
        if let dns = connection.dnsAError ?? connection.dnsAAAAError {
            return "DNS lookup of \(connection.host) failed: \(dns)"
        }
        var seen: [String] = []
        for failure in connection.connectionErrors {
            let text = reason(failure.error)
            if !seen.contains(text) { seen.append(text) }
        }
        return seen.isEmpty ? "\(error)" : seen.joined(separator: "; ")
    }
}
