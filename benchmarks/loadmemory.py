"""What loading the model costs in memory and time, per `model.precision`, in one run:

    python -m benchmarks.loadmemory [--model DIR] [--rounds 2] [--precisions fp32,bf16,auto]

Each load runs in a fresh Python (`Scorer.load(DIR, precision=P)`, then the process's RSS from
/proc/self/statm and the wall time since the child started, imports included), alternating the
precisions round by round so drift hits them alike. `auto` is loaded twice in a round: first
with an empty user cache (the bf16-against-fp32 timing runs), then again on the cache that load
left (a restart on the same machine). Prints one JSON object. Run it once as is and once under
`ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16` to see both choices on a Xeon with AMX.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

from model.machine import machine_info

CHILD = """
import json, sys, time
start = time.perf_counter()
from model.machine import rss_mib
from model.scorer import Scorer
scorer = Scorer.load(sys.argv[1], precision=sys.argv[2])
print(json.dumps({"chosen": scorer.precision, "backend": scorer.backend,
                  "rss_mib": round(rss_mib(), 1), "load_s": round(time.perf_counter() - start, 2)}))
"""


def load_once(model: str, precision: str, cache: str) -> dict[str, Any]:
    env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", CHILD, model, precision], capture_output=True, text=True,
                          env=env, check=False, timeout=600)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise SystemExit(f"loading {model} with precision {precision} failed: {reason}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="What loading the model costs, per model.precision.")
    parser.add_argument("--model", default="model/default")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--precisions", default="fp32,bf16,auto")
    args = parser.parse_args()
    loads: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for precision in args.precisions.split(","):
            with tempfile.TemporaryDirectory() as cache:
                first = load_once(args.model, precision, cache)
                loads.setdefault(precision, []).append(first)
                if precision == "auto":
                    loads.setdefault("auto, timing kept", []).append(load_once(args.model, precision, cache))
    summary = {name: {"chosen": sorted({run["chosen"] for run in runs}),
                      "rss_mib": [run["rss_mib"] for run in runs],
                      "load_s": [run["load_s"] for run in runs],
                      "median_rss_mib": statistics.median(run["rss_mib"] for run in runs)}
               for name, runs in loads.items()}
    onednn = {k: v for k, v in os.environ.items() if k.startswith(("ONEDNN_", "DNNL_"))}
    print(json.dumps({"machine": machine_info(), "model": args.model, "onednn": onednn, "loads": summary},
                     indent=2))


if __name__ == "__main__":
    main()
