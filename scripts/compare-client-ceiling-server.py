#!/usr/bin/env python3
"""A zero-latency OpenAI-style SSE server for measuring load-client ceilings.

Answers every POST at once with a prebuilt chat-completions stream: a role chunk, TOKENS content
chunks, a usage chunk and [DONE], chunked transfer encoding, HTTP/1.1 keep-alive. GET /v1/models
answers too (GuideLLM asks for it). Binds 127.0.0.1 only; stops after --max-seconds.

    compare-client-ceiling-server.py --port 0 --tokens 16   # prints the port on stdout
"""
import argparse, asyncio, json, os, signal, socket, sys

def build_stream(tokens):
    events = [{"id": "c", "object": "chat.completion.chunk", "model": "zero",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    for i in range(tokens):
        events.append({"id": "c", "object": "chat.completion.chunk", "model": "zero",
                       "choices": [{"index": 0, "delta": {"content": f" tok{i}"}, "finish_reason": None if i < tokens - 1 else "length"}]})
    events.append({"id": "c", "object": "chat.completion.chunk", "model": "zero", "choices": [],
                   "usage": {"prompt_tokens": 16, "completion_tokens": tokens, "total_tokens": 16 + tokens}})
    body = b"".join(b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"

def build_json(obj):
    body = json.dumps(obj).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body

class Server(asyncio.Protocol):
    stream = b""
    models = b""
    requests = 0

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.buf += data
        out = []
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buf[:end]
            length = 0
            lower = head.lower()
            i = lower.find(b"content-length:")
            if i >= 0:
                j = lower.find(b"\r\n", i)
                length = int(head[i + 15: j if j >= 0 else len(head)])
            total = end + 4 + length
            if len(self.buf) < total:
                break
            self.buf = self.buf[total:]
            Server.requests += 1
            out.append(Server.models if head.startswith(b"GET") else Server.stream)
        if out:
            self.transport.write(b"".join(out))

async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--max-seconds", type=float, default=1800)
    args = ap.parse_args()
    Server.stream = build_stream(args.tokens)
    Server.models = build_json({"object": "list", "data": [{"id": "zero", "object": "model", "owned_by": "t2"}]})
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Server, "127.0.0.1", args.port, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()
    print(f"served {Server.requests} requests", file=sys.stderr)

asyncio.run(main())
