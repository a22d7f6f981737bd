import Foundation
import LoadTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import Optimization

/// A deliberately misbehaving OpenAI-style streaming server for the fault tests, in-process on
/// 127.0.0.1 at a port chosen by the kernel. It is a second server, not a stand-in for the client
/// under test: the client is exercised over real sockets.
///
/// The first path segment picks the behaviour (`http://127.0.0.1:PORT/<behaviour>` as base URL);
/// `mixed` cycles through every fault, request by request.
final class FaultServer: Sendable {
    enum Behaviour: String, CaseIterable, Sendable {
        /// 200, a role-only chunk, `tokens` content chunks (LF, CRLF and CR line ends, comments),
        /// a usage chunk with llama.cpp-style timings, `[DONE]`.
        case ok
        /// Like ok, with `delay` between tokens and before the first one.
        case slow
        /// Tokens and `[DONE]` but no usage chunk.
        case noUsage = "no-usage"
        /// Headers and two tokens, then the connection is closed mid-stream.
        case drop
        /// A `data:` payload that is not JSON.
        case malformed
        /// Headers and one token, then silence (the connection stays open).
        case stall
        /// HTTP 429 with a JSON error body.
        case status429
        /// HTTP 500 with a JSON error body.
        case status500
        /// 200 with one token, then `data: {"error": …}` and `[DONE]` (vLLM style).
        case errorInStream = "error-in-stream"
        /// 200 with one token, then an `error: {…}` line (older llama.cpp style).
        case errorField = "error-field"
        /// 200 stream with only the role chunk and `[DONE]`.
        case empty
        /// Answers "… Answer: 5" (for sampling tests).
        case answer
        /// 200 with one `data:` line that never ends: 12 MiB without a line break, then the end.
        case endless
        case mixed

        static let faults: [Behaviour] = [
            .ok, .drop, .malformed, .stall, .status429, .status500, .errorInStream, .errorField, .empty,
        ]
    }

    let port: Int
    let tokens: Int
    let delay: TimeAmount
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    let requestBodies = Locked<[String]>([])
    let counter = Locked(0)

    var baseURL: String { "http://127.0.0.1:\(port)" }
    func url(_ b: Behaviour) -> String { "\(baseURL)/\(b.rawValue)" }

    init(tokens: Int = 5, delay: TimeAmount = .milliseconds(20)) async throws {
        self.tokens = tokens
        self.delay = delay
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let bodies = requestBodies
        let counter = counter
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        FaultHandler(tokens: tokens, delay: delay, bodies: bodies, counter: counter)
                    )
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class FaultHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let tokens: Int
    let delay: TimeAmount
    let bodies: Locked<[String]>
    let counter: Locked<Int>
    var uri = ""
    var body: [UInt8] = []

    init(tokens: Int, delay: TimeAmount, bodies: Locked<[String]>, counter: Locked<Int>) {
        self.tokens = tokens
        self.delay = delay
        self.bodies = bodies
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
            body = []
        case .body(let buffer): body += buffer.readableBytesView
        case .end: respond(context: context)
        }
    }

    private func chunk(_ text: String, index: Int = 0) -> String {
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":\(index),\"delta\":{\"content\":\(JSONValue.quote(text))},\"finish_reason\":null}]}"
    }

    private let roleChunk =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"

    private func usage(_ n: Int) -> String {
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":\(n),\"total_tokens\":\(7 + n)},\"timings\":{\"prompt_n\":7,\"prompt_ms\":1.5,\"predicted_n\":\(n),\"predicted_ms\":\(Double(n) * 2.0)}}\n\n"
    }

    private func send(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
    }

    private func head(
        _ context: ChannelHandlerContext,
        _ status: HTTPResponseStatus = .ok,
        contentType: String = "text/event-stream"
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
    }

    private func end(_ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func respond(context: ChannelHandlerContext) {
        bodies.withLock { $0.append(String(decoding: body, as: UTF8.self)) }
        let n = counter.withLock { c -> Int in
            c += 1
            return c - 1
        }
        let segment = uri.split(separator: "/").first.map(String.init) ?? "ok"
        var behaviour = FaultServer.Behaviour(rawValue: segment) ?? .ok
        if behaviour == .mixed { behaviour = FaultServer.Behaviour.faults[n % FaultServer.Behaviour.faults.count] }
        switch behaviour {
        case .ok, .noUsage, .answer:
            head(context)
            var text = roleChunk + ": keep-alive comment\n\n"
            let pieces =
                behaviour == .answer
                ? ["The", " result", " is", " 5.", " Answer:", " 5"] : (0..<tokens).map { " t\($0)" }
            // `n` choices, interleaved token by token as vLLM streams them.
            let n = (try? JSONValue.parse(body))?["n"]?.intValue ?? 1
            var event = 0
            for p in pieces {
                for c in 0..<max(1, n) {
                    let piece = chunk(p, index: c)
                    // Vary the line ends: LF, CRLF and CR are all valid event-stream framing.
                    switch event % 3 {
                    case 0: text += piece + "\n\n"
                    case 1: text += piece + "\r\n\r\n"
                    default: text += piece + "\r\r"
                    }
                    event += 1
                }
            }
            if behaviour != .noUsage { text += usage(pieces.count * max(1, n)) }
            text += "data: [DONE]\n\n"
            send(context, text)
            end(context)
        case .slow:
            head(context)
            send(context, roleChunk)
            let loop = context.eventLoop.assumeIsolated()
            for i in 0..<tokens {
                _ = loop.scheduleTask(in: delay * Int64(i + 1)) { [self] in
                    send(context, chunk(" t\(i)") + "\n\n")
                    if i == tokens - 1 {
                        send(context, usage(tokens) + "data: [DONE]\n\n")
                        end(context)
                    }
                }
            }
        case .drop:
            head(context)
            send(context, roleChunk + chunk(" a") + "\n\n" + chunk(" b") + "\n\n")
            context.close(promise: nil)
        case .malformed:
            head(context)
            send(
                context,
                chunk(" a") + "\n\n" + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"\n\n" + "data: [DONE]\n\n"
            )
            end(context)
        case .stall:
            head(context)
            send(context, chunk(" a") + "\n\n")
        case .status429, .status500:
            let status: HTTPResponseStatus = behaviour == .status429 ? .tooManyRequests : .internalServerError
            let message = behaviour == .status429 ? "rate limited, retry later" : "internal failure"
            head(context, status, contentType: "application/json")
            send(context, "{\"error\":{\"message\":\"\(message)\",\"code\":\(status.code)}}")
            end(context)
        case .errorInStream:
            head(context)
            send(
                context,
                chunk(" a") + "\n\n" + "data: {\"error\":{\"message\":\"model crashed\",\"code\":500}}\n\n"
                    + "data: [DONE]\n\n"
            )
            end(context)
        case .errorField:
            head(context)
            send(context, chunk(" a") + "\n\n" + "error: {\"message\":\"slot unavailable\"}\n\n")
            end(context)
        case .empty:
            head(context)
            send(context, roleChunk + "data: [DONE]\n\n")
            end(context)
        case .endless:
            head(context)
            send(context, chunk(" a") + "\n\n" + "data: {\"choices\":[{\"delta\":{\"content\":\"")
            let piece = String(repeating: "x", count: 1 << 16)
            for _ in 0..<192 { send(context, piece) }
            end(context)
        case .mixed:
            break
        }
    }
}
