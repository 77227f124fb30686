"""How well the bundled action-conditioned world models plan: success on 50 held-out start/goal pairs per world.

Each world's pairs come from a seed stream apart from the training episodes'. On the same pairs: the JEPA
planning by CEM (model-predictive control), the random policy, the pixel-space world model planning with
the same planner, and the inverse-dynamics policy on the frozen embeddings; each with its success rate,
95% Wilson interval, seconds per plan (decision) and median final distance; the planner's settings above.

    python benchmarks/bench_planning.py [--worlds two_rooms,push] [--episodes 50] [--planner cem] [--iterations 10]
                                        [--samples 300] [--baselines random,inverse_dynamics,pixel]

`--worlds two_rooms,push,push_t` adds Push-T. The pixel planner takes 40 s a plan at the default search: give it
`--samples 100 --iterations 3` (docs/planning.md).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from pydantic import ValidationError

from physlab.control.evaluation import evaluate_planning, format_planning
from physlab.control.planners import PlannerSettings
from physlab.errors import describe_validation
from physlab.files import write_json

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--worlds", default="two_rooms,push", help="comma-separated bundled worlds (default two_rooms,push)")
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--planner", choices=["cem", "grad"], default="cem")
    parser.add_argument("--iterations", type=int, default=PlannerSettings().iterations)
    parser.add_argument(
        "--samples", type=int, default=PlannerSettings().samples, help="CEM plans per iteration (elites: a tenth)"
    )
    parser.add_argument("--baselines", default="random,inverse_dynamics", help="add pixel for the pixel-space planner (slow)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: every core)")
    args = parser.parse_args()
    try:  # the planner's settings check themselves; their message, not a traceback
        settings = PlannerSettings(method=args.planner, iterations=args.iterations, samples=args.samples)
    except ValidationError as err:
        parser.error(describe_validation(err).replace("field ", "--", 1))  # the option the user typed
    torch.set_num_threads(args.threads)
    baselines = tuple(name for name in args.baselines.split(",") if name)
    print(f"planner: {settings.model_dump()}; torch threads: {args.threads}")
    for world in args.worlds.split(","):
        summary = evaluate_planning(world, args.episodes, seed=args.seed, settings=settings, baselines=baselines)
        print(f"\n{world}: {args.episodes} held-out start/goal pairs (seed {args.seed}), step budget {summary['step_budget']}")
        print(format_planning(summary))
        write_json(HERE / "results" / f"planning_{world}_{args.planner}.json", summary)


if __name__ == "__main__":
    main()
