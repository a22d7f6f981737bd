/// The built-in calibration (JSON, the format `t2 calibrate --out` writes), compiled in.
/// Fitted on Tests/Fixtures/inference_measurements.csv (79 published measurements). Regenerate after changing the model or the catalog with
///
///     swift run t2 calibrate Tests/Fixtures/inference_measurements.csv --out /tmp/cal.json
///
///     swift run t2 calibrate Tests/Fixtures/image_measurements.csv --out /tmp/image.json
///
/// (each chooses its prior weight by leaving each device out: 0.01 for the text rows, 3 for the
/// image rows) and paste the first file between the delimiters with the second's parameters
/// added (the two fits share no parameter); tests check that refitting each fixture reproduces
/// its part.
enum BuiltInCalibration {
    static let json = #"""
        {
          "data": {
            "path": "Tests/Fixtures/inference_measurements.csv",
            "rows": 79,
            "used": 79
          },
          "median_abs_pct_error": {
            "all": 3.7422712315433593,
            "decode_tokens_per_s": 6.539639005688996,
            "itl_ms": 3.585177393259895,
            "output_tokens_per_s": 3.6053244781084652,
            "prefill_tokens_per_s": 2.8906427933101706,
            "ttft_ms": 9.662888059384866
          },
          "notes": [
            "language-model parameters: t2 calibrate Tests/Fixtures/inference_measurements.csv (79 rows, prior weight 0.01 chosen by leaving each of 12 devices out); image-engine parameters (diffusers/*, tensorrt-diffusion/*): t2 calibrate Tests/Fixtures/image_measurements.csv (15 rows, prior weight 3 chosen by leaving each of 6 devices out), fitted apart and merged",
            "image median |error| in-sample: all 14.9%, images_per_s 11.3%, seconds_per_image 18.7%"
          ],
          "objective": 0.2901782692796791,
          "parameters": {
            "allReduceUs": 13.814571962353595,
            "diffusers/nvidia-gddr/computeEff": 0.3962248487976982,
            "diffusers/nvidia-gddr/memEff": 0.5999937155149124,
            "diffusers/nvidia-gddr/stepOverheadMs": 10.069131675963575,
            "diffusers/nvidia-hbm/computeEff": 0.3964272214625309,
            "diffusers/nvidia-hbm/memEff": 0.5999961619559028,
            "diffusers/nvidia-hbm/stepOverheadMs": 10.254954554920092,
            "llama.cpp/apple/computeEff": 0.7234065407253589,
            "llama.cpp/apple/memEff": 0.8593276394283256,
            "llama.cpp/apple/stepOverheadMs": 6.046918190533111,
            "llama.cpp/nvidia-gddr/computeEff": 0.5935107397299723,
            "llama.cpp/nvidia-gddr/memEff": 0.828400007458363,
            "llama.cpp/nvidia-gddr/stepOverheadMs": 1.5495701550589915,
            "llama.cpp/nvidia-hbm/computeEff": 0.25049668299281586,
            "llama.cpp/nvidia-hbm/memEff": 0.5434387716213558,
            "llama.cpp/nvidia-hbm/stepOverheadMs": 1.5076012651049102,
            "overlap": 1.422055523814383,
            "quant/gguf-k/dequantOps": 7.651433569940286,
            "quant/gguf-k/prefillEff": 0.7427457297748875,
            "quant/gguf-legacy/dequantOps": 1.3909544108181795,
            "quant/gguf-legacy/prefillEff": 0.9103033182291455,
            "tensorrt-diffusion/nvidia-gddr/computeEff": 0.29580787982871576,
            "tensorrt-diffusion/nvidia-gddr/memEff": 0.6999999999867861,
            "tensorrt-diffusion/nvidia-gddr/stepOverheadMs": 5.000341760813682,
            "tensorrt-diffusion/nvidia-hbm/computeEff": 0.30203955790482045,
            "tensorrt-diffusion/nvidia-hbm/memEff": 0.7000000000010926,
            "tensorrt-diffusion/nvidia-hbm/stepOverheadMs": 4.999772451200214,
            "tensorrt-llm/nvidia-hbm/computeEff": 0.5472117686837079,
            "tensorrt-llm/nvidia-hbm/memEff": 0.8168914443402198,
            "tensorrt-llm/nvidia-hbm/stepOverheadMs": 2.6442024295225774
          },
          "prior_weight": {
            "candidates": [
              {
                "held_out_median_abs_pct_error": 5.769933424152147,
                "rows": 79,
                "weight": 0.01
              },
              {
                "held_out_median_abs_pct_error": 6.287236646797549,
                "rows": 79,
                "weight": 0.03
              },
              {
                "held_out_median_abs_pct_error": 7.920238590291348,
                "rows": 79,
                "weight": 0.1
              },
              {
                "held_out_median_abs_pct_error": 7.620173700888068,
                "rows": 79,
                "weight": 0.3
              },
              {
                "held_out_median_abs_pct_error": 8.460272076580969,
                "rows": 79,
                "weight": 1
              },
              {
                "held_out_median_abs_pct_error": 9.32195100221943,
                "rows": 79,
                "weight": 3
              }
            ],
            "chosen": 0.01,
            "folds": 12,
            "method": "cross-validated"
          },
          "schema": "t2.calibration/1",
          "status": "converged (function)"
        }
        """#
}
