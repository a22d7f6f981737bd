import Foundation
import InferenceCost
import T2TestSupport
import Testing

@Suite("Catalog and calibration files refuse what they would otherwise ignore")
struct CatalogFileTests {
    func load(_ json: String) throws -> Catalog {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("catalog.json", json)
        return try Catalog.builtIn(mergedWith: path)
    }

    func failure(_ json: String) throws -> CatalogError {
        do {
            _ = try load(json)
        } catch let error as CatalogError {
            return error
        }
        throw TestFailure("accepted \(json)")
    }

    static let gpu =
        #""name": "my-gpu", "class": "nvidia-gddr", "memoryGB": 32, "peakTFLOPS": {"fp16": 400}, "usableMemoryFraction": 0.95"#

    @Test(
        "a misspelled or unknown key is refused with the file, the entry, the key and the nearest key",
        arguments: [
            (
                #"{"hardware": [{"# + gpu + #", "bandwithGBps": 1792}]}"#, "hardware[0] 'my-gpu'", "bandwithGBps",
                "bandwidthGBps"
            ),
            (#"{"hardwares": []}"#, "top level", "hardwares", "hardware"),
            (
                #"{"hardware": [{"name": "my-gpu", "class": "nvidia-gddr", "memoryGB": 32, "bandwidthGBps": 1, "usableMemoryFraction": 0.95, "peakTFLOPS": {"fp32": 1, "fp16": 2}}]}"#,
                "hardware[0] 'my-gpu'.peakTFLOPS", "fp32", "fp16"
            ),
            (
                #"{"engines": [{"name": "e", "multiGPU": "none", "maxBatch": 1, "memoryFraction": 1, "memoryOverheadGB": 0, "defaultKVCache": "f16", "profiles": {"apple": {"memEf": 0.5, "computeEff": 0.5, "stepOverheadMs": 1}}}]}"#,
                "engines[0] 'e'.profiles.apple", "memEf", "memEff"
            ),
            (#"{"global": {"overlap": 2, "allReduce": 3}}"#, "global", "allReduce", "allReduceUs"),
        ] as [(String, String, String, String)]
    )
    func unknownKeys(json: String, entry: String, key: String, suggestion: String) throws {
        let error = try failure(json)
        #expect(error.source.hasSuffix("catalog.json"))
        #expect(error.entry == entry, "\(String(describing: error.entry))")
        #expect(error.problem == "unknown key '\(key)'")
        #expect(error.hint?.contains("Did you mean '\(suggestion)'?") == true, "\(error.hint ?? "")")
    }

    @Test("a name (or alias) used twice in one file is refused; giving a built-in name replaces it")
    func duplicates() throws {
        let twice =
            #"{"hardware": [{"# + Self.gpu + #", "bandwidthGBps": 1}, {"# + Self.gpu + #", "bandwidthGBps": 2}]}"#
        let error = try failure(twice)
        #expect(error.entry == "hardware[1] 'my-gpu'")
        #expect(error.problem.contains("already used by hardware[0]"))
        let alias =
            #"{"quantizations": [{"name": "a", "aliases": ["b"], "bitsPerWeight": 4, "family": "float", "computePrecision": "fp16"}, {"name": "b", "bitsPerWeight": 4, "family": "float", "computePrecision": "fp16"}]}"#
        #expect(try failure(alias).problem.contains("'b' is already used"))
        let replaced = try load(
            #"{"hardware": [{"# + Self.gpu.replacingOccurrences(of: "my-gpu", with: "h100-sxm")
                + #", "bandwidthGBps": 5}]}"#
        )
        #expect(try replaced.hardware(named: "h100-sxm").bandwidthGBps == 5)
    }

    @Test(
        "each entry type checks its own values",
        arguments: [
            (
                #"{"engines": [{"name": "e", "multiGPU": "none", "maxBatch": 1e20, "memoryFraction": 1, "memoryOverheadGB": 0, "defaultKVCache": "f16", "profiles": {"apple": {"memEff": 0.5, "computeEff": 0.5, "stepOverheadMs": 1}}}]}"#,
                "maxBatch"
            ),
            (
                #"{"engines": [{"name": "e", "multiGPU": "none", "maxBatch": 1, "memoryFraction": 1, "memoryOverheadGB": 0, "defaultKVCache": "f16", "profiles": {"apple": {"memEff": 5, "computeEff": 0.5, "stepOverheadMs": 1}}}]}"#,
                "memEff"
            ),
            (#"{"kvCachePrecisions": [{"name": "k", "bytesPerElement": 0}]}"#, "bytesPerElement"),
            (#"{"quantFamilies": [{"name": "f", "dequantOps": -1, "prefillEff": 1}]}"#, "dequantOps"),
            (
                #"{"quantizations": [{"name": "q", "bitsPerWeight": 4, "family": "float", "computePrecision": "fp12"}]}"#,
                "computePrecision"
            ),
            (
                #"{"models": [{"name": "m", "layers": 1e30, "hidden": 8, "heads": 2, "kvHeads": 2, "headDim": 4, "ffn": 8, "vocab": 8}]}"#,
                "layers"
            ),
            (
                #"{"imageModels": [{"name": "i", "architecture": "dit", "params": 1e9, "imageTokenParams": 0, "attention": [], "latentDownsample": 8, "patchSize": 2, "latentChannels": 4, "textTokens": 77, "textEncoderGFLOPs": 1, "textEncoderParams": 1, "vaeDecoderGFLOPsPerMegapixel": 1, "vaeParams": 1, "defaultSteps": 20, "guidanceForwards": 2}]}"#,
                "imageTokenParams or extraGFLOPsPerImageToken"
            ),
            (
                #"{"imageModels": [{"name": "i", "architecture": "dit", "params": 1e9, "imageTokenParams": 1e8, "attention": [{"layers": 2, "width": 8, "kind": "sparse"}], "latentDownsample": 8, "patchSize": 2, "latentChannels": 4, "textTokens": 77, "textEncoderGFLOPs": 1, "textEncoderParams": 1, "vaeDecoderGFLOPsPerMegapixel": 1, "vaeParams": 1, "defaultSteps": 20, "guidanceForwards": 2}]}"#,
                "kind 'sparse'"
            ),
            (#"{"global": {"overlap": 0.5, "allReduceUs": 3}}"#, "overlap"),
        ] as [(String, String)]
    )
    func values(json: String, problem: String) throws {
        let error = try failure(json)
        #expect(error.problem.contains(problem), "\(error.problem)")
    }

    @Test("every entry of the built-in catalog passes its own checks")
    func builtInIsValid() {
        let c = Catalog.builtIn
        for h in c.hardware { #expect(h.problems().isEmpty, "\(h.name): \(h.problems())") }
        for m in c.models { #expect(m.problems().isEmpty, "\(m.name): \(m.problems())") }
        for m in c.imageModels { #expect(m.problems().isEmpty, "\(m.name): \(m.problems())") }
        for q in c.quantizations { #expect(q.problems().isEmpty, "\(q.name): \(q.problems())") }
        for e in c.engines { #expect(e.problems().isEmpty, "\(e.name): \(e.problems())") }
        #expect(c.hardware.contains { $0.isCPU } && !c.imageModels.isEmpty)
    }

    func calibrationFailure(_ json: String) throws -> CatalogError {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("cal.json", json)
        do {
            let calibration = try Calibration.read(contentsOf: path)
            try calibration.check(against: CostModel(), source: path)
        } catch let error as CatalogError {
            return error
        }
        throw TestFailure("accepted \(json)")
    }

    @Test(
        "calibration files: efficiencies of 0, above 1, out-of-range values, unknown keys and other documents are refused",
        arguments: [
            (
                #"{"parameters": {"llama.cpp/apple/computeEff": 0}}"#, "parameters.llama.cpp/apple/computeEff",
                "outside (0, 1]"
            ),
            (#"{"parameters": {"llama.cpp/apple/memEff": 5}}"#, "parameters.llama.cpp/apple/memEff", "outside (0, 1]"),
            (#"{"parameters": {"overlap": 0.2}}"#, "parameters.overlap", "outside [1, 100]"),
            (
                #"{"parameters": {"quant/gguf-k/prefillEff": 0}}"#, "parameters.quant/gguf-k/prefillEff",
                "outside (0, 10]"
            ),
            (#"{"parameters": {"llama.cpp/apple/memEf": 0.5}}"#, "parameters.llama.cpp/apple/memEf", "not a parameter"),
            (#"{"parameter": {}}"#, "top level", "unknown key 'parameter'"),
            (#"{"schema": "t2.plan/1", "parameters": {}}"#, "schema", "not a calibration"),
        ] as [(String, String, String)]
    )
    func calibrationFiles(json: String, entry: String, problem: String) throws {
        let error = try calibrationFailure(json)
        #expect(error.entry == entry, "\(String(describing: error.entry))")
        #expect(error.problem.contains(problem), "\(error.problem)")
    }

    @Test("a calibration without a schema (written before t2.calibration/1) still reads; new ones carry it")
    func calibrationSchema() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("old.json", #"{"parameters": {"overlap": 2}}"#)
        #expect(try Calibration.read(contentsOf: path).parameters["overlap"] == 2)
        let data = try JSONEncoder().encode(Calibration(parameters: [:]))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "t2.calibration/1")
    }
}
