"""The foresight benchmark: each pair scored by the expectation both twins share, against each twin's frames."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY

from physlab.data.stimuli import write_stimuli
from physlab.model import build_model
from physlab.scenes.families import load_families

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # the benchmark imports the generalization bench's sets, as when run as a script
spec = importlib.util.spec_from_file_location("bench_foresight", BENCHMARKS / "bench_foresight.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_the_expectation_is_the_predictions_made_before_the_twins_differ():
    energies = np.arange(3 * 10, dtype=float).reshape(3, 10)  # row k: the prediction made k + 1 frames before
    energies[1, 5] = np.nan
    assert bench.expectation_scores(energies, 4) == {0: 4.0, 2: 26.0}  # row 0 at frame 4, row 2 at frame 6; row 1 not scored
    assert bench.expectation_scores(energies, 9) == {0: 9.0}  # the farther horizons land past the clip's end


def test_every_pair_gets_an_outcome_and_identical_twins_are_a_miss(tmp_path):
    write_stimuli(tmp_path, load_families("gravity_drop", with_violations=True), 2, size=48, workers=1, progress=False)
    model = build_model(TINY).eval()
    rows = bench.pair_outcomes(tmp_path, model)
    assert [row["violation"] for row in rows] == ["floats_up", "floats_up"]
    assert all(isinstance(row["right"], bool) for row in rows)
    impossible = next((tmp_path / "clips").glob("*_impossible.mp4"))
    impossible.write_bytes(impossible.with_name(impossible.name.replace("impossible", "possible")).read_bytes())
    assert not bench.pair_outcomes(tmp_path, model)[0]["right"]  # twins that never differ: no reaction to count


def test_looks_are_grouped_as_own_seen_and_unseen():
    by_look = {
        "classic": [{"right": True}],
        "randomized": [{"right": False}],
        "heldout_a": [{"right": True}, {"right": True}],
        "heldout_b": [{"right": False}, {"right": True}],
    }
    groups = bench.grouped(by_look)
    assert groups["own"]["pairwise_accuracy"] == 1.0 and groups["seen"]["pairwise_accuracy"] == 0.0
    assert groups["unseen"]["pairwise_accuracy"] == pytest.approx(0.75) and groups["unseen"]["pairs"] == 4


def test_the_plot_is_drawn(tmp_path):
    groups = bench.grouped({"classic": [{"right": True}], "randomized": [{"right": False}], "heldout_a": [{"right": True}]})
    bench.plot({"jepa": groups, "pixel": groups}, tmp_path / "foresight.png")
    assert (tmp_path / "foresight.png").stat().st_size > 1000
