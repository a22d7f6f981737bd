"""t2 cost vs llm-analysis (cli99/llm-analysis 0.2.2) on the same measured rows.

Both tools get the same hardware specs (t2's catalog: bandwidth, dense FP16/INT8 peaks, memory)
and the same model shapes (t2's catalog), so the comparison is about the models, not the specs.

llm-analysis is run twice: with its ideal defaults (flops and HBM efficiency 1) and with the
efficiencies its README suggests for inference (flops 0.7, HBM 0.9). Rows it cannot express are
listed as unsupported: concurrency 'max' (it has no max-load throughput model), llama.cpp's
multi-GPU layer split, and formats without a bit width it knows.

Mapping of metrics (batch = the row's concurrency):
  decode_tokens_per_s  -> 1 / decode_latency at batch 1, context = input + output/2
  prefill_tokens_per_s -> prefill_tokens_per_sec for seq_len = input
  itl_ms               -> decode_latency at batch C
  ttft_ms              -> prefill_latency at batch 1 (it has no queueing)
  output_tokens_per_s  -> batch / ((prefill_latency + O·decode_latency) / O)  (its total_tokens_per_sec)
"""
import argparse, csv, json, logging, os, statistics, subprocess, sys, tempfile

from llm_analysis.analysis import LLMAnalysis
from llm_analysis.config import DtypeConfig, GPUConfig, ModelConfig, ParallelismConfig

logging.getLogger().setLevel(logging.ERROR)
for name in list(logging.root.manager.loggerDict):
    logging.getLogger(name).setLevel(logging.ERROR)

BITS = {"f16": 16, "bf16": 16, "fp8": 8, "int8": 8, "q8_0": 8, "q6_k": 6, "q4_k_m": 4, "q4_0": 4, "q4_k_s": 4, "int4-awq": 4}
ACTIVATION = {"fp8": 8, "int8": 8}


def t2json(t2, *args):
    return json.loads(subprocess.run([t2, "cost", *args, "--format", "json"], check=True, capture_output=True, text=True).stdout)


def peer_predict(row, hw, model, eff):
    if row["concurrency"] == "max":
        return None, "concurrency 'max' (no max-load model)"
    if int(row["gpus"]) > 1 and row["engine"] == "llama.cpp":
        return None, "llama.cpp layer split"
    if row["quant"] not in BITS:
        return None, f"format {row['quant']}"
    bits = BITS[row["quant"]]
    a_bits = ACTIVATION.get(row["quant"], 16)
    peaks = hw["peakTFLOPS"]
    gpu = GPUConfig(name=hw["name"], mem_per_GPU_in_GB=hw["memoryGB"], hbm_bandwidth_in_GB_per_sec=hw["bandwidthGBps"],
                    intra_node_bandwidth_in_GB_per_sec=hw.get("interconnectGBps", 32), intra_node_min_message_latency=8e-6,
                    peak_fp16_TFLOPS=peaks.get("fp16", peaks.get("vector")),
                    peak_i8_TFLOPS=peaks.get("int8", peaks.get("fp8", peaks.get("fp16", peaks.get("vector")))),
                    peak_i4_TFLOPS=peaks.get("int8", peaks.get("fp16", peaks.get("vector"))))
    mc = ModelConfig(name=model["name"], num_layers=int(model["layers"]), n_head=int(model["heads"]), hidden_dim=int(model["hidden"]),
                     vocab_size=int(model["vocab"]), max_seq_len=65536, num_key_value_heads=int(model["kvHeads"]),
                     # isoparam: llm-analysis counts 2 MLP matrices; Llama has 3 (SwiGLU), so give it 1.5 I
                     expansion_ratio=1.5 * model["ffn"] / model["hidden"], model_type="llama")
    dtype = DtypeConfig(name=f"w{bits}a{a_bits}e16", weight_bits=bits, activation_bits=a_bits, embedding_bits=16)
    tp = int(row["gpus"])
    analysis = LLMAnalysis(mc, gpu, dtype, ParallelismConfig(tp_size=tp, sp_size=tp),
                           flops_efficiency=eff[0], hbm_memory_efficiency=eff[1])
    inp, out = int(row["input_tokens"]), int(row["output_tokens"])
    conc = int(row["concurrency"])
    metric = row["metric"]
    try:
        if metric == "prefill_tokens_per_s":
            s = analysis.inference(batch_size_per_gpu=1, seq_len=inp, num_tokens_to_generate=1, kv_cache_dtype_bytes=2)
            return s["prefill_tokens_per_sec"], None
        if metric == "decode_tokens_per_s":
            s = analysis.inference(batch_size_per_gpu=1, seq_len=max(1, inp + out // 2), num_tokens_to_generate=1, kv_cache_dtype_bytes=2)
            return 1.0 / s["decode_latency"], None
        kv = 1 if row["quant"] in ("fp8", "fp4") and row["engine"] == "tensorrt-llm" else 2
        if metric == "ttft_ms":
            s = analysis.inference(batch_size_per_gpu=1, seq_len=inp, num_tokens_to_generate=1, kv_cache_dtype_bytes=kv)
            return s["prefill_latency"] * 1000, None
        s = analysis.inference(batch_size_per_gpu=conc, seq_len=inp + out // 2, num_tokens_to_generate=out, kv_cache_dtype_bytes=kv)
        if metric == "itl_ms":
            return s["decode_latency"] * 1000, None
        if metric == "output_tokens_per_s":
            return s["total_tokens_per_sec"] * tp, None
    except AssertionError as error:
        return None, f"llm-analysis refused: {str(error)[:80]}"
    return None, f"metric {metric}"


T2_HELD_OUT = "t2 (device held out)"


def held_out_predictions(t2, measurements):
    """Each row predicted by a t2 calibration that never saw the row's device: calibrate on
    half a of the devices, predict half b, and the reverse (t2 calibrate --split hardware)."""
    predictions = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fit_half, predict_half in (("a", "b"), ("b", "a")):
            calibration = os.path.join(tmp, f"calibration-{fit_half}.json")
            subprocess.run([t2, "calibrate", measurements, "--split", "hardware", "--half", fit_half, "--out", calibration],
                           check=True, capture_output=True, text=True)
            for row in t2json(t2, "--validate", measurements, "--calibration", calibration,
                              "--split", "hardware", "--half", predict_half)["rows"]:
                predictions[row["id"]] = row.get("predicted")
    return predictions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--t2", required=True)
    parser.add_argument("--measurements", required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    # `t2 cost --list KIND --format json` prints {"schema": "t2.cost-list/1", KIND: [entries]}.
    hardware = {h["name"]: h for h in t2json(args.t2, "--list", "hardware")["hardware"]}
    models = {m["name"]: m for m in t2json(args.t2, "--list", "models")["models"]}
    ours = {r["id"]: r for r in t2json(args.t2, "--validate", args.measurements)["rows"]}
    held_out = held_out_predictions(args.t2, args.measurements)
    rows = list(csv.DictReader(open(args.measurements)))
    settings = {"llm-analysis ideal (1.0, 1.0)": (1.0, 1.0), "llm-analysis suggested (0.7, 0.9)": (0.7, 0.9)}
    results = []
    for row in rows:
        entry = {"id": row["id"], "metric": row["metric"], "measured": float(row["value"]),
                 "t2": ours[row["id"]].get("predicted"), T2_HELD_OUT: held_out.get(row["id"])}
        for label, eff in settings.items():
            if row["hardware"] not in hardware or row["model"] not in models:
                entry[label], entry["unsupported"] = None, "unknown name"
                continue
            value, why = peer_predict(row, hardware[row["hardware"]], models[row["model"]], eff)
            entry[label] = value
            if why:
                entry["unsupported"] = why
        results.append(entry)

    def err(p, m):
        return abs(p - m) / m * 100

    summary = {}
    supported = [r for r in results if r.get("unsupported") is None]
    for metric in sorted({r["metric"] for r in results}) + ["all"]:
        subset = [r for r in supported if metric == "all" or r["metric"] == metric]
        if not subset:
            continue
        summary[metric] = {"rows": len(subset), "t2": statistics.median(err(r["t2"], r["measured"]) for r in subset)}
        for label in [T2_HELD_OUT, *settings]:
            summary[metric][label] = statistics.median(err(r[label], r["measured"]) for r in subset)
    print(f"rows: {len(results)}; expressible in llm-analysis: {len(supported)}")
    print(f"{'metric':24s} {'rows':>4s} {'t2 (in-sample)':>15s} {T2_HELD_OUT:>26s} " + " ".join(f"{k:>34s}" for k in settings))
    for metric, s in summary.items():
        print(f"{metric:24s} {s['rows']:4d} {s['t2']:14.1f}% {s[T2_HELD_OUT]:25.1f}% " + " ".join(f"{s[k]:33.1f}%" for k in settings))
    reasons = {}
    for r in results:
        if r.get("unsupported"):
            reasons[r["unsupported"]] = reasons.get(r["unsupported"], 0) + 1
    for why, n in sorted(reasons.items()):
        print(f"unsupported: {n} rows ({why})")
    if args.out:
        json.dump({"median_abs_pct_error": summary, "rows": results}, open(args.out, "w"), indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
