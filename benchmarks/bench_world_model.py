"""What holds a planning model back: what its embedding sees, and how well it predicts, side by side.

1. Sensitivity (`physlab.control.sensitivity.embedding_sensitivity`): the goal cost (squared embedding
   distance) of one change to a picture (the agent or the object moved 1-20 cm, the push world's object
   turned 5-45 degrees), median over random states, relative to the object (two rooms: the agent) moved 5 cm.
   A planner cannot reach what its cost does not tell apart.
2. Open-loop error (`physlab.control.foresight.open_loop_error`): on fresh episodes (seed 777, apart from the
   training data's), the object's position and heading read by the probe from the embedding predicted
   `--horizon` model steps ahead, against the probe reading the real picture and against copying the start.

Models: the world's bundled JEPA, an untrained encoder (seed 0, grid embedding; sensitivity only, as its
predictor is untrained) and any model files given.

    python benchmarks/bench_world_model.py [--world push] [--models plan_push,untrained,RUN/model.safetensors]
        [--samples 16] [--episodes 64] [--horizon 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from physlab.control.checkpoint import bundled_name, load_action_model
from physlab.control.data import load_episodes, write_action_set
from physlab.control.foresight import open_loop_error
from physlab.control.model import ActionWorldModel
from physlab.control.sensitivity import embedding_sensitivity
from physlab.control.spec import load_world
from physlab.control.train import model_config_for
from physlab.files import write_json

HERE = Path(__file__).resolve().parent
FRESH_SEED = 777


def _load(name: str, world) -> ActionWorldModel:
    if name == "untrained":
        torch.manual_seed(0)
        return ActionWorldModel(model_config_for(world, {"embedding": "grid"}))
    return load_action_model(name)


def _short(name: str) -> str:
    return Path(name).parent.name if name.endswith(".safetensors") else name


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--world", default="push")
    parser.add_argument("--models", default=None, help="comma-separated model files or bundled names, or 'untrained'")
    parser.add_argument("--samples", type=int, default=16, help="random states per change")
    parser.add_argument("--episodes", type=int, default=64, help="fresh episodes for the open-loop error")
    parser.add_argument("--horizon", type=int, default=5, help="model steps predicted open-loop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    world = load_world(args.world)
    names = (args.models or f"{bundled_name(world.name)},untrained").split(",")
    models = {name: _load(name, world) for name in names}
    sensitivity = {name: embedding_sensitivity(model, world, args.samples, args.seed) for name, model in models.items()}
    changes = [row["change"] for row in sensitivity[names[0]]]
    print(f"{args.world}: goal cost of one change, relative to the reference move (median of {args.samples} states)")
    print(f"{'change':<24}" + "".join(f"{_short(name):>16}" for name in names))
    for index, change in enumerate(changes):
        print(f"{change:<24}" + "".join(f"{sensitivity[name][index]['relative']:>16.2f}" for name in names))

    with tempfile.TemporaryDirectory() as folder:
        write_action_set(folder, world, args.episodes, seed=FRESH_SEED, progress=False)
        episodes = load_episodes(folder)
    trained = [name for name in names if name != "untrained"]
    foresight = {name: open_loop_error(models[name], episodes, args.horizon) for name in trained}
    print(f"\nopen-loop error {args.horizon} model steps ahead, {args.episodes} fresh episodes, moments where the object moved")
    print(
        f"{'model':<20}{'moments':>8}  object m: predicted / read / copied"
        + ("   heading deg: the same" if world.kind == "push" else "")
    )
    for name, row in foresight.items():
        line = f"{_short(name):<20}{row['moments']:>8}  " + " / ".join(
            f"{row['object_m'][k]:.3f}" for k in ("predicted", "read", "copied")
        )
        if "heading_deg" in row:
            line += "     " + " / ".join(f"{row['heading_deg'][k]:.1f}" for k in ("predicted", "read", "copied"))
        print(line)
    if "untrained" in names:
        print("(untrained: no trained predictor, so no open-loop error)")
    write_json(HERE / "results" / f"world_model_{args.world}.json", {"sensitivity": sensitivity, "open_loop": foresight})


if __name__ == "__main__":
    main()
