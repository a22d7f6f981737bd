import FuzzEntryPoints

// libFuzzer entry for catalog-json: `scripts/fuzz catalog-json` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.catalogJSON(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
