/// The built-in calibration (JSON, the format `t2 calibrate --out` writes), compiled in.
/// Fitted on Tests/Fixtures/inference_measurements.csv (79 published measurements). Regenerate after changing the model or the catalog with
///
///     swift run t2 calibrate Tests/Fixtures/inference_measurements.csv --out /tmp/cal.json
///
///     swift run t2 calibrate Tests/Fixtures/image_measurements.csv --out /tmp/image.json
///
/// and paste the first file between the delimiters with the second's parameters added (the two
/// fits share no parameter); tests check that refitting each fixture reproduces its part.
enum BuiltInCalibration {
    static let json = #"""
        {
          "data": {
            "path": "Tests/Fixtures/inference_measurements.csv",
            "rows": 79,
            "used": 79
          },
          "median_abs_pct_error": {
            "all": 3.742281295814935,
            "decode_tokens_per_s": 6.539657323448221,
            "itl_ms": 3.5851333771495937,
            "output_tokens_per_s": 3.6053156876823755,
            "prefill_tokens_per_s": 2.89060430803092,
            "ttft_ms": 9.66289858533374
          },
          "notes": [
            "language-model parameters: t2 calibrate Tests/Fixtures/inference_measurements.csv (79 rows); image-engine parameters (diffusers/*, tensorrt-diffusion/*): t2 calibrate Tests/Fixtures/image_measurements.csv (15 rows), fitted apart and merged",
            "image median |error| in-sample: all 5.7%, images_per_s 4.4%, seconds_per_image 6.2%"
          ],
          "objective": 0.2901782692800003,
          "parameters": {
            "allReduceUs": 13.814588078766837,
            "diffusers/nvidia-gddr/computeEff": 0.1691086111688559,
            "diffusers/nvidia-gddr/memEff": 0.5999730761809093,
            "diffusers/nvidia-gddr/stepOverheadMs": 12.136795242531628,
            "diffusers/nvidia-hbm/computeEff": 0.445921938315558,
            "diffusers/nvidia-hbm/memEff": 0.5997854952166756,
            "diffusers/nvidia-hbm/stepOverheadMs": 21.812471962670106,
            "llama.cpp/apple/computeEff": 0.7234065834717397,
            "llama.cpp/apple/memEff": 0.8593275107856101,
            "llama.cpp/apple/stepOverheadMs": 6.046924834751084,
            "llama.cpp/nvidia-gddr/computeEff": 0.5935102482655246,
            "llama.cpp/nvidia-gddr/memEff": 0.8284000621719598,
            "llama.cpp/nvidia-gddr/stepOverheadMs": 1.5495697945875138,
            "llama.cpp/nvidia-hbm/computeEff": 0.25049669229300664,
            "llama.cpp/nvidia-hbm/memEff": 0.5434393700658583,
            "llama.cpp/nvidia-hbm/stepOverheadMs": 1.507605788750453,
            "overlap": 1.4220560822162494,
            "quant/gguf-k/dequantOps": 7.6514363577200575,
            "quant/gguf-k/prefillEff": 0.7427454110857995,
            "quant/gguf-legacy/dequantOps": 1.3909559209077624,
            "quant/gguf-legacy/prefillEff": 0.9103035628301164,
            "tensorrt-diffusion/nvidia-gddr/computeEff": 0.2514111289292938,
            "tensorrt-diffusion/nvidia-gddr/memEff": 0.6999999999177651,
            "tensorrt-diffusion/nvidia-gddr/stepOverheadMs": 5.003326642488961,
            "tensorrt-diffusion/nvidia-hbm/computeEff": 0.3082568347836309,
            "tensorrt-diffusion/nvidia-hbm/memEff": 0.6999999991672595,
            "tensorrt-diffusion/nvidia-hbm/stepOverheadMs": 5.0053830506401304,
            "tensorrt-llm/nvidia-hbm/computeEff": 0.547211846228087,
            "tensorrt-llm/nvidia-hbm/memEff": 0.8168915153251931,
            "tensorrt-llm/nvidia-hbm/stepOverheadMs": 2.6442091819379647
          },
          "schema": "t2.calibration/1",
          "status": "converged (function)"
        }
        """#
}
