import FuzzEntryPoints

// libFuzzer entry for law-json: `scripts/fuzz law-json` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.lawJSON(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
