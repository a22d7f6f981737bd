import FuzzEntryPoints

// libFuzzer entry for runs-csv: `scripts/fuzz runs-csv` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.runsCSV(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
