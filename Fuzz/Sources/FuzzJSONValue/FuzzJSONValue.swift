import FuzzEntryPoints

// libFuzzer entry for json-value: `scripts/fuzz json-value` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.jsonValue(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
