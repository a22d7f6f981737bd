import Foundation
import Optimization
import Tabular

#if canImport(Darwin)
import Darwin
#endif

/// What t2 can read about the machine it runs on.
public struct MachineDescription: Sendable, Equatable {
    /// CPU model name (`/proc/cpuinfo` "model name", `sysctl machdep.cpu.brand_string`).
    public var cpuModel: String
    /// Physical cores (hyperthreads do not add vector units).
    public var cores: Int
    /// Logical processors.
    public var threads: Int
    /// System memory, bytes.
    public var memoryBytes: Double
    /// Nominal core clock, GHz (`cpu MHz`, `hw.cpufrequency`), when readable.
    public var clockGHz: Double?
    /// ISA flags that set the vector rates (`avx512f`, `avx2`, `fma`, `avx512_vnni`, `avx_vnni`,
    /// `asimd`, `asimddp`, `sve`, `i8mm`).
    public var flags: Set<String>
    /// `x86_64` or `arm64`.
    public var architecture: String
    /// CPU vendor (`AuthenticAMD`, `GenuineIntel`, `Apple`, …), when readable.
    public var vendor: String?

    /// FP32 FLOP per cycle per core from the ISA: AVX-512 with two FMA pipes 64 (AMD Zen 4 runs
    /// AVX-512 on two 256-bit pipes: 32), AVX2+FMA 32, SSE 8; Arm: Apple P-cores 32 (four
    /// 128-bit pipes), other NEON/SVE cores 16 (two 128-bit pipes).
    public var fp32FlopsPerCycle: Double {
        if architecture == "arm64" {
            return vendor == "Apple" ? 32 : 16
        }
        if flags.contains("avx512f") { return vendor == "AuthenticAMD" ? 32 : 64 }
        if flags.contains("avx2") && flags.contains("fma") { return 32 }
        return 8
    }

    /// int8 dot-product ops per FP32 FLOP: 4 with VNNI (AVX512-VNNI, AVX-VNNI) or Arm `sdot`,
    /// 2 with AVX2's `maddubs`, 1 otherwise.
    public var int8PerFP32: Double {
        if flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("asimddp") { return 4 }
        if architecture == "arm64" && vendor == "Apple" { return 4 }
        if flags.contains("avx2") { return 2 }
        return 1
    }
}

/// `--hardware local`: the machine t2 runs on as a catalog ``Hardware`` entry named `local`
/// (class `cpu`), from what it can read (CPU model, cores, memory, ISA flags, clock) and a short
/// measured memory-bandwidth probe (bounded to a few seconds). The entry is cached as a catalog
/// file the user can edit — `$T2_LOCAL_HARDWARE`, else `$XDG_CACHE_HOME/t2/local-hardware.json`,
/// else `~/.cache/t2/local-hardware.json` (`~/Library/Caches/t2/local-hardware.json` on macOS) —
/// and read back on later runs; delete it to probe again.
public enum LocalHardware {
    /// The catalog name of the local machine.
    public static let name = "local"

    /// Typical on-demand price of one x86 vCPU-hour of a general-purpose cloud instance (AWS
    /// m7i.large: 2 vCPU, $0.1008/h in us-east-1), used as the default $/hour estimate of the
    /// local machine: threads × this. Edit `usdPerHour` in the cached file for your own cost.
    public static let usdPerVCPUHour = 0.0504

    /// The cache file: `$T2_LOCAL_HARDWARE`, else under `$XDG_CACHE_HOME` or the user's cache
    /// directory.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["T2_LOCAL_HARDWARE"], !path.isEmpty { return path }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/t2/local-hardware.json" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        #if os(macOS)
        return home + "/Library/Caches/t2/local-hardware.json"
        #else
        return home + "/.cache/t2/local-hardware.json"
        #endif
    }

    /// Reads the machine's description from `/proc` (Linux) or `sysctl` (macOS).
    public static func describe() -> MachineDescription {
        #if os(Linux)
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        return describe(cpuinfo: cpuinfo, meminfo: meminfo)
        #elseif canImport(Darwin)
        func string(_ key: String) -> String? {
            var size = 0
            guard sysctlbyname(key, nil, &size, nil, 0) == 0, size > 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: size)
            guard sysctlbyname(key, &buffer, &size, nil, 0) == 0 else { return nil }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        func integer(_ key: String) -> Int64? {
            var value: Int64 = 0
            var size = MemoryLayout<Int64>.size
            guard sysctlbyname(key, &value, &size, nil, 0) == 0 else { return nil }
            return value
        }
        let threads = Int(integer("hw.logicalcpu") ?? Int64(ProcessInfo.processInfo.activeProcessorCount))
        let brand = string("machdep.cpu.brand_string") ?? "unknown CPU"
        #if arch(arm64)
        let architecture = "arm64"
        #else
        let architecture = "x86_64"
        #endif
        var flags = Set<String>()
        if architecture == "arm64" { flags.formUnion(["asimd", "asimddp"]) }
        if let features = string("machdep.cpu.leaf7_features") {
            flags.formUnion(features.lowercased().split(separator: " ").map(String.init))
        }
        if let features = string("machdep.cpu.features") {
            flags.formUnion(features.lowercased().split(separator: " ").map(String.init))
        }
        let hz = integer("hw.cpufrequency").map { Double($0) / 1e9 }
        return MachineDescription(
            cpuModel: brand,
            cores: Int(integer("hw.physicalcpu") ?? Int64(threads)),
            threads: threads,
            memoryBytes: Double(integer("hw.memsize") ?? 0),
            clockGHz: hz ?? (architecture == "arm64" ? 3.2 : nil),
            flags: flags,
            architecture: architecture,
            vendor: brand.hasPrefix("Apple") ? "Apple" : (brand.contains("AMD") ? "AuthenticAMD" : "GenuineIntel")
        )
        #else
        let threads = ProcessInfo.processInfo.activeProcessorCount
        return MachineDescription(
            cpuModel: "unknown CPU",
            cores: threads,
            threads: threads,
            memoryBytes: Double(ProcessInfo.processInfo.physicalMemory),
            clockGHz: nil,
            flags: [],
            architecture: "unknown",
            vendor: nil
        )
        #endif
    }

    /// Parses the text of `/proc/cpuinfo` and `/proc/meminfo`.
    public static func describe(cpuinfo: String, meminfo: String) -> MachineDescription {
        var model: String?
        var vendor: String?
        var flags = Set<String>()
        var processors = 0
        var coresPerSocket: Int?
        var sockets = Set<String>()
        var mhz: Double?
        var implementer: String?
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "processor": processors += 1
            case "model name", "Model": if model == nil { model = parts[1] }
            case "vendor_id": vendor = parts[1]
            case "CPU implementer": implementer = parts[1]
            case "flags", "Features": flags.formUnion(parts[1].split(separator: " ").map(String.init))
            case "cpu cores": coresPerSocket = Int(parts[1])
            case "physical id": sockets.insert(parts[1])
            case "cpu MHz": if mhz == nil { mhz = Double(parts[1]) }
            default: break
            }
        }
        var memory = 0.0
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let digits = line.split(separator: " ").compactMap { Double($0) }
            if let kib = digits.first { memory = kib * 1024 }
        }
        let threads = max(processors, 1)
        let cores = coresPerSocket.map { $0 * max(sockets.count, 1) } ?? threads
        let arm = flags.contains("asimd") || implementer != nil
        if arm && model == nil { model = implementer.map { "Arm CPU (implementer \($0))" } }
        return MachineDescription(
            cpuModel: model ?? "unknown CPU",
            cores: min(max(cores, 1), threads),
            threads: threads,
            memoryBytes: memory,
            clockGHz: mhz.map { $0 / 1000 },
            flags: flags,
            architecture: arm ? "arm64" : "x86_64",
            vendor: vendor
        )
    }

    /// Read bandwidth of main memory, GB/s: every thread sums its own slice of a buffer of
    /// `bytes` (larger than the caches) with wide vector loads, repeated until `seconds` have
    /// passed (at least two passes); the best pass counts. Bounded in time and memory.
    public static func probeBandwidth(bytes: Int = 512 << 20, seconds: Double = 2, threads: Int? = nil) -> Double {
        let lanes = MemoryLayout<SIMD8<UInt64>>.stride
        let count = max(bytes / lanes, 1024)
        let buffer = UnsafeMutableBufferPointer<SIMD8<UInt64>>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = SIMD8(repeating: UInt64(truncatingIfNeeded: i)) }
        let workers = max(1, threads ?? Parallel.defaultThreads)
        let base = UInt(bitPattern: buffer.baseAddress)
        let clock = ContinuousClock()
        let start = clock.now
        var best = Duration.seconds(1_000_000)
        var passes = 0
        var sink: UInt64 = 0
        while passes < 2 || (clock.now - start) < .seconds(seconds) {
            let passStart = clock.now
            let sums = Parallel.map(workers) { w -> UInt64 in
                let pointer = UnsafePointer<SIMD8<UInt64>>(bitPattern: base)!
                let lower = count * w / workers
                let upper = count * (w + 1) / workers
                var a = SIMD8<UInt64>(repeating: 0)
                var b = SIMD8<UInt64>(repeating: 0)
                var i = lower
                while i + 1 < upper {
                    a &+= pointer[i]
                    b &+= pointer[i + 1]
                    i += 2
                }
                if i < upper { a &+= pointer[i] }
                return (a &+ b).wrappedSum()
            }
            let elapsed = clock.now - passStart
            sink &+= sums.reduce(0, &+)
            if elapsed < best { best = elapsed }
            passes += 1
            if passes >= 50 { break }
        }
        let secondsTaken = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        // `sink` keeps the loads from being optimised away; it is never zero for this buffer.
        return sink == 0 ? 0 : Double(count * lanes) / secondsTaken / 1e9
    }

    /// The `local` hardware entry for `machine` with a measured `bandwidthGBps`.
    public static func hardware(_ machine: MachineDescription, bandwidthGBps: Double, date: Date = Date()) -> Hardware {
        let clock = machine.clockGHz ?? 2.5
        let cores = Double(machine.cores)
        let vector = cores * clock * machine.fp32FlopsPerCycle / 1000
        let int8 = vector * machine.int8PerFP32
        let memoryGB = max(machine.memoryBytes / 1e9, 0.5)
        let stamp = ISO8601DateFormatter().string(from: date)
        let flagList = machine.flags.intersection([
            "avx512f", "avx512_vnni", "avx_vnni", "avx2", "fma", "asimd", "asimddp", "sve", "i8mm", "amx_int8",
        ]).sorted().joined(separator: " ")
        return Hardware(
            name: name,
            hardwareClass: "cpu",
            memoryGB: (memoryGB * 10).rounded() / 10,
            bandwidthGBps: (bandwidthGBps * 10).rounded() / 10,
            peakTFLOPS: ["vector": (vector * 1000).rounded() / 1000, "int8": (int8 * 1000).rounded() / 1000],
            usableMemoryFraction: 0.85,
            usdPerHour: (Double(machine.threads) * usdPerVCPUHour * 10000).rounded() / 10000,
            priceSource:
                "estimate: \(machine.threads) vCPU × $\(usdPerVCPUHour)/vCPU-hour (AWS m7i.large on-demand, us-east-1); edit usdPerHour for your own cost",
            cores: cores,
            source:
                "measured by t2 on \(stamp): \(machine.cpuModel), \(machine.cores) cores / \(machine.threads) threads, \(String(format: "%.1f", memoryGB)) GB; bandwidth = best read pass of a \(512) MB buffer on all threads; vector = cores × \(String(format: "%.2f", clock)) GHz × \(Int(machine.fp32FlopsPerCycle)) FP32 FLOP/cycle (\(flagList)), int8 = \(Int(machine.int8PerFP32))× vector [inferred]"
        )
    }

    /// The local machine's entry: read from the cache file at `path` when it exists (edits are
    /// kept), else described and probed (about two seconds) and written there. `created` says
    /// whether the probe ran.
    public static func load(
        path: String = defaultPath(),
        probeSeconds: Double = 2
    ) throws -> (hardware: Hardware, created: Bool) {
        if FileManager.default.fileExists(atPath: path) {
            var catalog = Catalog()
            try catalog.merge(contentsOf: path)
            guard let entry = catalog.hardware.first(where: { Catalog.key($0.name) == name }) else {
                throw CatalogError(
                    source: path,
                    problem: "has no hardware entry named 'local'",
                    hint: "Delete the file to probe this machine again, or name an entry 'local'"
                )
            }
            return (entry, false)
        }
        let machine = describe()
        let memoryForProbe = machine.memoryBytes > 0 ? Int(machine.memoryBytes / 16) : 256 << 20
        let bandwidth = probeBandwidth(bytes: min(512 << 20, max(64 << 20, memoryForProbe)), seconds: probeSeconds)
        let entry = hardware(machine, bandwidthGBps: bandwidth)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(CatalogFile(hardware: [entry]))
        try AtomicFile.write(data, to: path)
        return (entry, true)
    }
}
