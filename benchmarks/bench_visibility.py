"""Does a model's representation see each violation at all? Twin distance in the space surprise is
measured in, against the same distance in pixels (physlab/voe/visibility.py), per violation.

    python benchmarks/bench_visibility.py [--set DIR] [--models jepa,pixel,untrained]

A violation the representation barely separates (well under one frame of motion) cannot be
caught by any predictor on top of it; its column "kept" says what share of the pixels' distance
the encoder kept. Scores the set bench_models.py made (run that first, or pass --set).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from physlab.voe.plots import plot_visibility
from physlab.voe.visibility import format_visibility, set_visibility, summarise_visibility

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--set", default=str(HERE / "data" / "pairs_20_100000_128"), help="a stimulus set (docs/design.md)")
    parser.add_argument("--models", default="jepa,pixel,untrained")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    folder = Path(args.set)
    if not (folder / "manifest.csv").exists():
        print(f"{folder}: no stimulus set; run benchmarks/bench_models.py first, or pass --set", file=sys.stderr)
        return 1
    by_violation, by_concept, pairs = {}, {}, {}
    for name in args.models.split(","):
        start = time.perf_counter()
        results, errors = set_visibility(folder, name)
        for error in errors:
            print(error, file=sys.stderr)
        by_violation[name] = summarise_visibility(results, "violation")
        by_concept[name] = summarise_visibility(results, "concept")
        pairs[name] = [asdict(result) for result in results]
        print(f"{name}: {len(results)} pairs in {time.perf_counter() - start:.1f} s")
    print(format_visibility(by_concept, "concept"))
    print()
    print(format_visibility(by_violation, "violation"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"set": str(folder), "per_concept": by_concept, "per_violation": by_violation, "pairs": pairs}
    (out / "visibility.json").write_text(json.dumps(report, indent=1))
    plot_visibility(by_violation, out / "visibility.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
