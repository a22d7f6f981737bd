#!/usr/bin/env python3
"""A plain single-process asyncio streaming client (the baseline in compare-client-ceiling).

N keep-alive connections, each sending chat-completions requests back to back; reads the chunked
SSE body, stamps TTFT at the first non-empty content event, stops at [DONE]. Prints one JSON line:
requests, seconds, req/s, client CPU per request, mean TTFT.

    compare-client-ceiling-asyncio.py --url http://127.0.0.1:PORT --concurrency 64 --requests 20000
"""
import argparse, asyncio, json, os, resource, time

BODY = json.dumps({"model": "zero", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 16,
                   "stream": True, "stream_options": {"include_usage": True}}).encode()

async def worker(host, port, counter, limit, ttfts, errors):
    reader, writer = await asyncio.open_connection(host, port)
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % (host.encode(), port, len(BODY))) + BODY
    while counter[0] < limit:
        counter[0] += 1
        t0 = time.perf_counter()
        writer.write(req)
        status = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        first = None
        done = False
        buf = b""
        while not done:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            buf += await reader.readexactly(size)
            await reader.readline()
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                data = event[6:]
                if data == b"[DONE]":
                    done = True
                    continue
                chunk = json.loads(data)
                choices = chunk.get("choices")
                if choices and choices[0].get("delta", {}).get("content") and first is None:
                    first = time.perf_counter()
        if done and status.startswith(b"HTTP/1.1 200"):
            # consume the terminating zero-size chunk
            if buf == b"":
                line = await reader.readline()
                if line.strip() == b"0":
                    await reader.readline()
            ttfts.append(first - t0)
        else:
            errors[0] += 1
    writer.close()

async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--requests", type=int, default=20000)
    a = ap.parse_args()
    hostport = a.url.split("//", 1)[1].rstrip("/")
    host, port = hostport.split(":")
    counter, ttfts, errors = [0], [], [0]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(host, int(port), counter, a.requests, ttfts, errors) for _ in range(a.concurrency)))
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    n = len(ttfts)
    print(json.dumps({"client": "asyncio", "requests": n, "errors": errors[0], "seconds": elapsed, "req_per_s": n / elapsed,
                      "cpu_us_per_request": cpu / max(n, 1) * 1e6, "ttft_mean_ms": sum(ttfts) / max(n, 1) * 1000}))

asyncio.run(main())
