"""Surprise under action: pairs whose actions have impossible outcomes, scored by `physlab evaluate`
(physlab/control/surprise.py, and the hooks in physlab/model/checkpoint.py and physlab/voe/surprise.py)."""

import csv
import subprocess
import sys

import numpy as np
import pytest
from control_fixtures import episode_data, rooms_data, tiny_push_model  # noqa: F401

from physlab.control.spec import load_world
from physlab.control.surprise import VIOLATIONS, make_action_pair, read_actions, write_action_stimuli
from physlab.control.worlds import make_world
from physlab.errors import PhyslabError
from physlab.voe.surprise import evaluate


def _manifest(folder):
    with open(folder / "manifest.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _rewrite_manifest(folder, rows):
    with open(folder / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(("name", "violation"), [(w, v) for w, vs in VIOLATIONS.items() for v in vs])
def test_twins_are_identical_until_the_onset_and_differ_after(client, name, violation):
    world = load_world(name)
    pair = make_action_pair(world, make_world(world, client), 2, violation)
    assert pair.possible.shape == pair.impossible.shape == (41, 64, 64, 3) and pair.actions.shape == (40, 2)
    assert np.array_equal(pair.possible[: pair.onset], pair.impossible[: pair.onset])
    assert not np.array_equal(pair.possible[pair.onset + 3 :], pair.impossible[pair.onset + 3 :])
    again = make_action_pair(world, make_world(world, client), 2, violation)
    assert np.array_equal(again.impossible, pair.impossible) and again.onset == pair.onset


def test_a_world_without_the_violation_is_refused(client):
    world = load_world("two_rooms")
    with pytest.raises(PhyslabError, match="has no violation 'object_stays'"):
        make_action_pair(world, make_world(world, client), 0, "object_stays")


def test_a_set_is_a_stimulus_set_with_actions_that_evaluate_scores(tiny_push_model, tmp_path):  # noqa: F811
    out = tmp_path / "set"
    report = write_action_stimuli(out, "push", 1, seed=4, progress=False)
    assert report.made == 2 and not report.errors
    rows = _manifest(out)
    assert {row["violation"] for row in rows} == {"object_stays", "moves_wrong_way"} and len(rows) == 4
    actions, fps = read_actions(out / rows[0]["actions"])
    assert actions.shape == (40, 2) and fps == 10.0
    again = write_action_stimuli(out, "push", 1, seed=4, progress=False)
    assert again.made == 0 and again.reused == 2  # a second run resumes: nothing left to make
    result = evaluate(out, str(tiny_push_model))
    assert result.summary["pairs"] == 2 and result.summary["model"] == "action_jepa" and not result.errors
    assert set(result.summary["per_violation"]) == {"object_stays", "moves_wrong_way"}
    curve = result.curves[rows[0]["clip"]]
    assert len(curve.values) == 9 and np.isnan(curve.values[0]) and list(curve.frames[:3]) == [0, 5, 10]


def test_evaluate_reports_a_clip_without_actions_or_of_another_world_and_scores_the_rest(tiny_push_model, tmp_path):  # noqa: F811
    out = tmp_path / "set"
    write_action_stimuli(out, "push", 2, seed=8, progress=False)
    rows = _manifest(out)
    rows[0]["actions"] = ""
    (out / rows[2]["actions"]).write_bytes(b"broken")
    rows[4]["world"] = "two_rooms"  # a clip of another world than the model's
    _rewrite_manifest(out, rows)
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "evaluate", str(out), "--model", str(tiny_push_model)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert any("names no actions file" in line for line in errors) and any(
        "not a readable actions file" in line for line in errors
    )
    assert any("was made in the world 'two_rooms'; the model was trained in 'push'" in line for line in errors)
    overall = [line for line in result.stdout.splitlines() if line.startswith("overall")]
    assert overall and overall[0].split()[1] == "1"  # the intact pair is still scored


def test_evaluate_prints_no_table_when_no_pair_can_be_scored(tiny_push_model, tmp_path):  # noqa: F811
    out = tmp_path / "set"
    write_action_stimuli(out, "push", 1, seed=8, progress=False)
    rows = _manifest(out)
    for row in rows:
        row["world"] = "two_rooms"
    _rewrite_manifest(out, rows)
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "evaluate", str(out), "--model", str(tiny_push_model), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "overall" not in result.stdout  # no table of nothing
    errors = result.stderr.strip().splitlines()
    assert sum("was made in the world 'two_rooms'" in line for line in errors) == len(rows)
    assert errors[-1] == f"physlab: error: {out}: no pair could be scored"


def test_stimuli_with_actions_needs_a_world(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "stimuli", str(tmp_path), "--pairs", "1", "--actions"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "--actions needs --world" in result.stderr
