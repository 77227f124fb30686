"""Surprise of any video, and VoE metrics on any stimulus set, including broken ones."""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY

from physlab.cli import format_table
from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.model import build_model, load_model, save_model
from physlab.scenes.families import load_families
from physlab.voe.metrics import comparisons, pair_wins, paired_difference, summarise, wilson_interval
from physlab.voe.surprise import SurpriseCurve, evaluate, score_videos, surprise


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    save_model(path, build_model(TINY))
    return path


@pytest.fixture(scope="module")
def stimulus_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    write_stimuli(out, load_families("inertia,gravity_drop", with_violations=True), 2, seed=7, size=48, progress=False)
    return out


def _moving_square(frames=24, size=40):
    video = np.zeros((frames, size, size, 3), np.uint8)
    for t in range(frames):
        video[t, 10:20, t : t + 10] = 255
    return video


def test_surprise_curve_carries_frames_and_seconds(tiny_model):
    curve = surprise(_moving_square(frames=48), str(tiny_model), fps=24.0)
    assert len(curve.values) == 48 * 12 // 24
    assert np.isnan(curve.values[:2]).all() and np.isfinite(curve.values[2:]).all()
    assert curve.frames[1] == 2 and curve.seconds[1] == pytest.approx(1 / 12) and curve.source_time(2) == pytest.approx(2 / 24)
    assert curve.clip_surprise("max") >= curve.clip_surprise("mean")


def test_no_frame_is_scored_before_the_minimum_context(tiny_model):
    model = load_model(tiny_model)
    model.config = model.config.model_copy(update={"min_context": 0.5})  # 6 frames at 12 fps
    curve = score_videos(model, [("clip", _moving_square(frames=48), 24.0)])[0]
    assert np.isnan(curve.values[:4]).all() and np.isfinite(curve.values[4:]).all()  # the tiny model's context is 4
    assert curve.rows()[3]["surprise"] is None and curve.rows()[4]["surprise"] is not None


def test_a_long_clip_scored_in_segments_gives_the_values_of_one_pass(tiny_model, monkeypatch):
    import physlab.voe.surprise as scoring

    model = load_model(tiny_model)
    frames = np.random.default_rng(0).integers(0, 255, (120, 32, 32, 3), dtype=np.uint8)
    whole = score_videos(model, [("clip", frames, 12.0)], precision="float32")[0].values
    monkeypatch.setattr(scoring, "SEGMENT", 16)
    parts = score_videos(model, [("clip", frames, 12.0)], precision="float32")[0].values
    np.testing.assert_allclose(parts, whole, rtol=1e-4, atol=1e-5)


def test_the_pools_differ_as_documented():
    values = np.array([np.nan, np.nan, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0])
    curve = SurpriseCurve("x", values, np.arange(16), 12.0)
    assert curve.clip_surprise("max") == 5.0
    assert curve.clip_surprise("mean") == pytest.approx(np.nanmean(values))
    assert curve.clip_surprise("habituated") == pytest.approx(2.0)  # the last frame, 2 over the second before it
    assert curve.clip_surprise("excess") == pytest.approx(4.0)  # the peak, 4 over the clip's median frame
    assert curve.clip_surprise("excess", after=1.0) == pytest.approx(2.0)  # the peak after 1 s, over the same median
    assert curve.clip_surprise("max", after=1.0) == 3.0
    with pytest.raises(PhyslabError, match="pool must be one of max, mean, habituated, excess, diverged"):
        curve.clip_surprise("median")


def test_the_excess_pool_ignores_how_much_a_look_raises_every_frame():
    """A clip filmed in a look the model never saw errs more everywhere; the excess over its own median cancels that."""
    values = np.array([np.nan, np.nan, 1.0, 1.2, 0.9, 1.1, 2.5, 1.0])
    familiar = SurpriseCurve("a", values, np.arange(8), 12.0)
    unfamiliar = SurpriseCurve("b", values + 7.0, np.arange(8), 12.0)
    assert unfamiliar.clip_surprise("excess") == pytest.approx(familiar.clip_surprise("excess"))
    assert unfamiliar.clip_surprise("max") > familiar.clip_surprise("max")


def _row(pair, label, value, concept="c"):
    return {
        "clip": f"{pair}_{label}_{value}",
        "pair": pair,
        "label": label,
        "surprise": value,
        "concept": concept,
        "peak_delay_s": 0.1 if label == "impossible" else None,
    }


def test_pairwise_accuracy_counts_a_tie_as_a_miss_and_auroc_counts_each_clip_once():
    pairs = [(_row(1, "possible", 1.0), _row(1, "impossible", 2.0)), (_row(2, "possible", 3.0), _row(2, "impossible", 0.5))]
    pairs.append((_row(3, "possible", 1.0, "d"), _row(3, "impossible", 1.0, "d")))
    summary = summarise(pairs, [r for p in pairs for r in p])
    assert summary["pairwise_accuracy"] == pytest.approx(1 / 3) and summary["ties"] == 1
    assert summary["per_concept"]["c"]["pairwise_accuracy"] == 0.5
    assert summary["per_concept"]["d"]["pairs"] == 1 and summary["per_concept"]["d"]["pairwise_accuracy"] == 0.0
    assert 0 <= summary["auroc"] <= 1
    low, high = summary["per_concept"]["c"]["pairwise_interval"]
    assert low < 0.5 < high


def test_a_right_pair_whose_impossible_twin_peaks_in_the_shared_frames_is_counted_apart():
    timed = {"onset_seconds": 1.0, "diverge_seconds": None}
    late = _row(1, "impossible", 2.0) | timed | {"peak_seconds": 1.2}
    early = _row(2, "impossible", 2.0) | timed | {"peak_seconds": 0.5}  # right, but its peak is in the shared opening
    wrong_early = _row(3, "impossible", 0.5) | timed | {"peak_seconds": 0.5}  # early too, but wrong: not counted
    pairs = [(_row(1, "possible", 1.0), late), (_row(2, "possible", 1.0), early), (_row(3, "possible", 1.0), wrong_early)]
    summary = summarise(pairs, [r for p in pairs for r in p])
    assert summary["calm_wins"] == {"pairs": 1, "of_right": 2}
    assert "in 1 of the 2 right pairs the impossible twin peaks before the twins differ" in format_table(summary | {"pools": {}})
    # Where the twins were found to differ earlier than the onset (the edit shows before it), that is where they stop
    # sharing: the early peak is then a reaction, and a peak after the onset but before a later divergence is calm.
    found = [(p, i | {"diverge_seconds": 0.4 if i is early else 1.5}) for p, i in pairs]
    assert summarise(found, [r for p in found for r in p])["calm_wins"] == {"pairs": 1, "of_right": 2}
    assert summarise(found[1:2], [r for r in found[1]])["calm_wins"] == {"pairs": 0, "of_right": 1}
    untimed = [(p, i | {"onset_seconds": None, "diverge_seconds": None}) for p, i in pairs]
    assert summarise(untimed, [r for p in untimed for r in p])["calm_wins"] is None


def test_every_possible_x_impossible_comparison_of_a_quadruplet_counts():
    rows = [_row("A", "possible", 1.0), _row("A", "possible", 3.0), _row("A", "impossible", 2.0), _row("A", "impossible", 4.0)]
    found, errors = comparisons(rows, rows, Path("set"))
    assert len(found) == 4 and not errors
    summary = summarise(found, rows)
    assert summary["pairwise_accuracy"] == 0.75 and summary["pairs"] == 4 and summary["groups"] == 1
    assert summary["auroc"] == 0.75  # four clips, each once
    # the four comparisons share clips: the interval is one group's, not four independent pairs'
    assert summary["pairwise_interval"] == pytest.approx(wilson_interval(0.75, 1))
    assert summary["pairwise_interval"][1] - summary["pairwise_interval"][0] > 0.6
    lonely = [_row("B", "possible", 1.0)]
    _, errors = comparisons(lonely, lonely, Path("set"))
    assert errors == ["set/manifest.csv: pair 'B' needs a possible and an impossible clip, has possible: B_possible_1.0"]


def test_pair_wins_count_a_tie_as_a_miss_and_a_quadruplet_as_one_pair():
    rows = [_row("A", "possible", 1.0), _row("A", "possible", 3.0), _row("A", "impossible", 2.0), _row("A", "impossible", 4.0)]
    rows += [_row("B", "possible", 1.0), _row("B", "impossible", 1.0), _row("C", "possible", 1.0)]
    assert pair_wins(rows) == {"A": 0.75, "B": 0.0}


def test_a_paired_difference_sees_what_two_separate_intervals_cannot():
    rng = np.random.default_rng(0)
    first = {f"p{i}": float(rng.random() < 0.6) for i in range(200)}
    # The second model wins every pair the first wins, and 16 more: separate Wilson intervals overlap.
    losses = [pair for pair, won in first.items() if not won]
    second = first | dict.fromkeys(losses[:16], 1.0)
    share_a, share_b = np.mean(list(first.values())), np.mean(list(second.values()))
    assert wilson_interval(share_b, 200)[0] < wilson_interval(share_a, 200)[1]
    result = paired_difference(first, second)
    assert result["difference"] == pytest.approx(16 / 200) and (result["better"], result["worse"]) == (16, 0)
    assert 0 < result["interval"][0] <= 0.08 <= result["interval"][1]
    assert result["p_value"] == pytest.approx(2 * 0.5**16)
    assert paired_difference(first, first) == {
        "difference": 0.0, "interval": [0.0, 0.0], "groups": 200, "better": 0, "worse": 0, "p_value": 1.0
    }  # fmt: skip
    alike = paired_difference({"a": 1.0, "b": 1.0}, {"a": 0.0, "b": 0.0})  # nothing to resample
    assert alike["interval"] == [-1.0, -1.0] and alike["p_value"] == 0.5
    assert paired_difference({"a": 1.0}, {"a": 0.0})["interval"] == [-1.0, -1.0]
    with pytest.raises(ValueError, match="no pair id"):
        paired_difference({"a": 1.0}, {"b": 1.0})


def test_the_accuracy_interval_is_wilsons():
    from scipy.stats import binomtest

    for wins, count in [(10, 20), (14, 20), (20, 20), (0, 20), (37, 40)]:
        expected = binomtest(wins, count).proportion_ci(0.95, method="wilson")
        assert wilson_interval(wins / count, count) == pytest.approx([expected.low, expected.high], abs=2e-4)
    assert wilson_interval(0.5, 0) == [0.0, 1.0]


def test_evaluate_a_set(stimulus_set, tiny_model):
    result = evaluate(stimulus_set, str(tiny_model))
    summary = result.summary
    assert {"pairwise_accuracy", "auroc", "pairs", "per_concept", "errors", "pools", "after_onset"} <= set(summary)
    assert summary["pairs"] == 4 and not summary["errors"] and summary["groups"] == 4
    assert set(summary["pools"]) == {"max", "mean", "habituated", "excess", "diverged"}
    assert summary["pools"][summary["pool"]]["pairwise_accuracy"] == summary["pairwise_accuracy"]
    assert summary["after_onset"]["pairs"] == 4
    assert set(summary["per_concept"]) == {"inertia", "gravity"}
    assert len(result.clips) == 8 and all(r["peak_delay_s"] is not None for r in result.clips)
    assert all(r["surprise_after_onset"] is not None for r in result.clips)
    # physlab's twins are the same video up to the edit: the frame found is the onset, give or take a frame
    split = summary["divergence"]
    assert split["comparisons"] == 4 and split["never"] == 0
    assert abs(split["median_after_onset_s"]) <= 0.2
    assert "diverged: each pair scored from the first frame" in format_table(summary)
    assert "compared whole" not in format_table(summary)  # matched twins share an opening
    whole = summary | {"divergence": split | {"from_start": 2}}  # as a quadruplet of different scenes gives
    assert "2 differ already in their first frame" in format_table(whole) and "compared whole" in format_table(whole)


def test_broken_clips_and_pairs_are_reported_and_the_rest_scored(stimulus_set, tiny_model, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(stimulus_set, broken)
    with open(broken / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    (broken / rows[0]["clip"]).write_bytes(b"corrupt")
    orphan = dict(rows[-1], pair="orphan")
    with open(broken / "manifest.csv", "a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(orphan)
    result = evaluate(broken, str(tiny_model))
    assert result.summary["pairs"] == 3
    assert any(rows[0]["clip"] in error and "not a video" in error for error in result.errors)
    assert any("'orphan'" in error for error in result.errors)


def test_a_manifest_cannot_reach_files_outside_its_set(stimulus_set, tiny_model, tmp_path):
    escaped = tmp_path / "escaped"
    shutil.copytree(stimulus_set, escaped)
    with open(escaped / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    shutil.copy(escaped / rows[0]["clip"], tmp_path / "outside.mp4")
    rows[0]["clip"] = "../outside.mp4"
    with open(escaped / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = evaluate(escaped, str(tiny_model))
    assert result.summary["pairs"] == 3
    assert any("'../outside.mp4' points outside" in error for error in result.errors)


def test_manifest_without_required_columns(tmp_path, tiny_model):
    (tmp_path / "manifest.csv").write_text("file,kind\na.mp4,possible\n")
    with pytest.raises(PhyslabError, match="missing column"):
        evaluate(tmp_path, str(tiny_model))


def _run(*args):
    return subprocess.run([sys.executable, "-m", "physlab", *args], capture_output=True, text=True, timeout=300)


def test_cli_evaluate_and_score(stimulus_set, tiny_model, tmp_path):
    result = _run("evaluate", str(stimulus_set), "--model", str(tiny_model), "--json", str(tmp_path / "s.json"),
                  "--csv", str(tmp_path / "c.csv"), "--plots", str(tmp_path / "plots"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "overall" in result.stdout and (tmp_path / "plots" / "surprise_aligned.png").exists()
    assert "95% interval" in result.stdout.splitlines()[0]
    clip = next((stimulus_set / "clips").glob("*.mp4"))
    scored = _run("score", str(clip), str(tmp_path / "missing.mp4"), "--model", str(tiny_model), "--csv", str(tmp_path / "f.csv"))
    assert scored.returncode == 1
    assert scored.stderr.strip().splitlines() == [f"physlab: error: {tmp_path / 'missing.mp4'}: no such file"]
    assert (
        "surprise excess" in scored.stdout
        and " max " in scored.stdout
        and (tmp_path / "f.csv").read_text().startswith("clip,frame,seconds,surprise")
    )


def test_cli_unreadable_model_is_one_line(stimulus_set, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nope")
    result = _run("evaluate", str(stimulus_set), "--model", str(bad))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_surprise_curve_rows():
    curve = SurpriseCurve("x", np.array([np.nan, 0.5]), np.array([0, 2]), 12.0)
    assert curve.rows()[0]["surprise"] is None and curve.rows()[1]["seconds"] == pytest.approx(1 / 12, abs=1e-4)
    assert curve.rows()[1]["frame"] == 2


def test_precision_is_a_choice_and_bfloat16_keeps_the_curve(tiny_model):
    frames = _moving_square()
    model = load_model(tiny_model)
    exact = score_videos(model, [("clip", frames, 24.0)], precision="float32")[0]
    fast = score_videos(model, [("clip", frames, 24.0)], precision="bfloat16")[0]
    assert np.corrcoef(exact.values[2:], fast.values[2:])[0, 1] > 0.9
    with pytest.raises(PhyslabError, match="precision must be"):
        score_videos(model, [("clip", frames, 24.0)], precision="half")
