"""The README's picture: a matched pair as a contact sheet, with the bundled JEPA's surprise under it.

    python docs/figure.py [--family solidity] [--seed 0] [--out docs/pair.png]

The default pair is the one the Surprise lab opens solidity on (the first of seeds 0-7 of the
family that the bundled JEPA gets right, dashboard/data/showcase.json).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import physlab  # noqa: E402
from physlab.files import atomic_path  # noqa: E402
from physlab.lab.showcase import score_pair  # noqa: E402
from physlab.lab.units import surprise_scale  # noqa: E402
from physlab.model import load_model  # noqa: E402
from physlab.voe.plots import COLORS  # noqa: E402

HERE = Path(__file__).resolve().parent


def contact_sheet(family: str, seed: int, out: Path, columns: int = 8, size: int = 128) -> None:
    """Both twins at `columns` moments from before the onset to the end, and both surprise curves."""
    pair = physlab.make_pair(physlab.load_family(family), seed, size=size)
    model = load_model("jepa")
    curves, score = score_pair(pair, model)
    frames = len(pair.possible.frames)
    shown = np.unique(np.linspace(max(0, pair.onset_frame - 6), frames - 1, columns).round().astype(int))
    figure = plt.figure(figsize=(1.35 * len(shown), 5.4))
    grid = figure.add_gridspec(3, len(shown), height_ratios=[1, 1, 1.5], hspace=0.25)
    for row, clip in enumerate((pair.possible, pair.impossible)):
        for column, frame in enumerate(shown):
            axis = figure.add_subplot(grid[row, column])
            axis.imshow(clip.frames[frame])
            axis.set_xticks([])
            axis.set_yticks([])
            if frame == pair.onset_frame:
                for spine in axis.spines.values():
                    spine.set_color("black")
                    spine.set_linewidth(2.5)
            if row == 0:
                axis.set_title(f"frame {frame}", fontsize=8)
            if column == 0:
                axis.set_ylabel(clip.label, fontsize=9, color=COLORS[clip.label])
    axis = figure.add_subplot(grid[2, :])
    for curve in curves:
        axis.plot(curve.frames, curve.values, marker=".", color=COLORS[curve.name], label=f"{curve.name} twin")
    axis.axvline(pair.onset_frame, color="black", linestyle="--", linewidth=1)
    axis.axhline(0, color="grey", linestyle=":", linewidth=1)
    axis.text(pair.onset_frame + 0.3, axis.get_ylim()[1], " onset", va="top", fontsize=8)
    axis.set_xlim(-0.5, frames - 0.5)
    axis.set_xlabel(f"frame ({pair.possible.fps:g} a second)")
    axis.set_ylabel(surprise_scale(model.config).axis, fontsize=8)
    axis.legend(frameon=False, fontsize=8, loc="lower left")
    violation = pair.impossible.violation.replace("_", " ")
    figure.suptitle(
        f"{family}, seed {seed}: the impossible twin {violation}. Peak surprise of the bundled JEPA: "
        f"{score.impossible:.2f} impossible, {score.possible:.2f} possible",
        fontsize=9,
    )
    with atomic_path(out) as temp:
        figure.savefig(temp, dpi=110, format="png", bbox_inches="tight")
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="solidity")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "pair.png"))
    args = parser.parse_args()
    contact_sheet(args.family, args.seed, Path(args.out))
    print(f"{args.out}: written")


if __name__ == "__main__":
    main()
