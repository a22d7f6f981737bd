import FuzzEntryPoints

// libFuzzer entry for sse-stream: `scripts/fuzz sse-stream` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.sseStream(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
