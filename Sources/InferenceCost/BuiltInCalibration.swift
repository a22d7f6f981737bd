/// The built-in calibration (JSON, the format `t2 calibrate --out` writes), compiled in.
/// Fitted on Tests/Fixtures/inference_measurements.csv (79 published measurements). Regenerate after changing the model or the catalog with
///
///     swift run t2 calibrate Tests/Fixtures/inference_measurements.csv --out /tmp/cal.json
///
/// and paste the file between the delimiters; a test checks that refitting reproduces it.
enum BuiltInCalibration {
    static let json = #"""
        {
          "data" : {
            "path" : "Tests/Fixtures/inference_measurements.csv",
            "rows" : 79,
            "used" : 79
          },
          "median_abs_pct_error" : {
            "all" : 3.742281295814935,
            "decode_tokens_per_s" : 6.539657323448221,
            "itl_ms" : 3.5851333771495937,
            "output_tokens_per_s" : 3.6053156876823755,
            "prefill_tokens_per_s" : 2.89060430803092,
            "ttft_ms" : 9.66289858533374
          },
          "objective" : 0.2901782692800003,
          "parameters" : {
            "allReduceUs" : 13.814588078766837,
            "llama.cpp/apple/computeEff" : 0.7234065834717397,
            "llama.cpp/apple/memEff" : 0.8593275107856101,
            "llama.cpp/apple/stepOverheadMs" : 6.046924834751084,
            "llama.cpp/nvidia-gddr/computeEff" : 0.5935102482655246,
            "llama.cpp/nvidia-gddr/memEff" : 0.8284000621719598,
            "llama.cpp/nvidia-gddr/stepOverheadMs" : 1.5495697945875138,
            "llama.cpp/nvidia-hbm/computeEff" : 0.25049669229300664,
            "llama.cpp/nvidia-hbm/memEff" : 0.5434393700658583,
            "llama.cpp/nvidia-hbm/stepOverheadMs" : 1.507605788750453,
            "overlap" : 1.4220560822162494,
            "quant/gguf-k/dequantOps" : 7.6514363577200575,
            "quant/gguf-k/prefillEff" : 0.7427454110857995,
            "quant/gguf-legacy/dequantOps" : 1.3909559209077624,
            "quant/gguf-legacy/prefillEff" : 0.9103035628301164,
            "tensorrt-llm/nvidia-hbm/computeEff" : 0.547211846228087,
            "tensorrt-llm/nvidia-hbm/memEff" : 0.8168915153251931,
            "tensorrt-llm/nvidia-hbm/stepOverheadMs" : 2.6442091819379647
          },
          "status" : "converged (function)"
        }
        """#
}
