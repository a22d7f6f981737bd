import Foundation
import FuzzDriver
import FuzzEntryPoints

// libFuzzer target for sse-stream; `scripts/fuzz sse-stream` builds it with -sanitize=fuzzer,address.
// SwiftPM links every executable's entry point as <Module>_main, so the target has a main of its
// own that hands control to libFuzzer's driver with the callback below.
@main
enum FuzzSSEStream {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}

private let fuzzOne: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    FuzzEntryPoints.sseStream(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
