import FuzzEntryPoints

// libFuzzer entry for measurements-csv: `scripts/fuzz measurements-csv` builds this with -sanitize=fuzzer,address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.measurementsCSV(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
