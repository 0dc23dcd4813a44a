"""Does ONNX Runtime's transformer optimizer pay on top of the session's own graph optimisations?

    python -m benchmarks.ortfusion [--model default] [--rounds 4]

Fuses the cached fp32 export with `onnxruntime.transformers.optimizer.optimize_model` (BERT
patterns: attention, GELU, layer norms), makes the 8-bit-weight copy of the fused graph the way
`model/onnx_backend.py` makes it of the plain one, and scores the dev split of the labeled set
with each of the four graphs through the same Scorer, in interleaved rounds (the first one a
warm-up). Prints one JSON object: which operators were fused, each graph's seconds per round
and its dev labels equal to the fp32 export's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from model.checkpoint import resolve_source
from model.compare import labeled_splits
from model.machine import machine_info
from model.onnx_backend import INT8_FILE, MODEL_FILE, OnnxModel, cache_location
from model.onnx_int8 import quantize_int8
from model.paths import shared_data_dir
from model.scorer import Scorer


def main() -> None:
    parser = argparse.ArgumentParser(description="ONNX Runtime's transformer optimizer, measured.")
    parser.add_argument("--model", default="default")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    from onnxruntime.transformers.optimizer import optimize_model

    texts, _ = labeled_splits(shared_data_dir() / "labeled_2025.csv")["dev"]
    # Loading with the int8 copy makes both cached graphs; one pass at a time, every core.
    scorer = Scorer.load(args.model, device="cpu", precision="fp32", backend="onnx", workers=1)
    directory = Path(resolve_source(args.model)[0])
    cache = cache_location(directory)
    shape = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        fused = Path(scratch) / "fused.onnx"
        optimized = optimize_model(str(cache / MODEL_FILE), model_type="bert",
                                   num_heads=shape["num_attention_heads"], hidden_size=shape["hidden_size"])
        optimized.save_model_to_file(str(fused))
        quantize_int8(fused, Path(scratch) / "fused.int8.onnx", "weights")
        graphs = {"fp32": cache / MODEL_FILE, "fp32 fused": fused,
                  "int8": cache / INT8_FILE, "int8 fused": Path(scratch) / "fused.int8.onnx"}
        features = scorer.onnx.features
        sessions = {name: OnnxModel(path, threads=0, features=features) for name, path in graphs.items()}
        seconds: dict[str, list[float]] = {name: [] for name in graphs}
        labels: dict[str, list[str]] = {}
        for _ in range(args.rounds):
            for name, session in sessions.items():
                scorer.onnx = session
                start = time.perf_counter()
                labels[name] = [s.label for s in scorer.predict(texts)]
                seconds[name].append(round(time.perf_counter() - start, 3))
    same = {name: round(sum(a == b for a, b in zip(found, labels["fp32"], strict=True)) / len(texts), 4)
            for name, found in labels.items()}
    fused_operators = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    print(json.dumps({"machine": machine_info(), "model": args.model, "fused_operators": fused_operators,
                      "dev_messages": len(texts),
                      "seconds": {name: {"rounds": s, "median_after_warmup": statistics.median(s[1:] or s)}
                                  for name, s in seconds.items()},
                      "dev_labels_equal_to_fp32": same}, indent=1))


if __name__ == "__main__":
    main()
