import FuzzEntryPoints

// libFuzzer entry for counts-csv: `scripts/fuzz counts-csv` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.countsCSV(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
