"""Surprise of any video, and VoE metrics on any stimulus set, including broken ones."""

import csv
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import TINY
from PIL import Image

from physlab.data.stimuli import write_stimuli
from physlab.data.video import read_video, resample, write_mp4
from physlab.errors import PhyslabError
from physlab.model import build_model, load_model, save_model
from physlab.scenes.families import load_families
from physlab.voe.metrics import summarise, wilson_interval
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


def _write_with_opencv(path, frames, fourcc, fps=24):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, frames.shape[1:3][::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()


@pytest.mark.parametrize("suffix", [".mp4", ".mpeg4.mp4", ".avi", ".webm", ".gif", ".npz"])
def test_reads_every_supported_format(tmp_path, suffix):
    frames = _moving_square()
    path = tmp_path / f"clip{suffix}"
    if suffix == ".mp4":
        write_mp4(path, frames, 24)
    elif suffix == ".mpeg4.mp4":
        _write_with_opencv(path, frames, "mp4v")
    elif suffix == ".avi":
        _write_with_opencv(path, frames, "MJPG")
    elif suffix == ".webm":
        _write_with_opencv(path, frames, "VP80")
    elif suffix == ".gif":
        images = [Image.fromarray(frame) for frame in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=83, loop=0)
    else:
        np.savez(path, frames=frames, fps=np.float32(24))
    read, fps = read_video(path)
    assert read.shape == (24, 40, 40, 3) and read.dtype == np.uint8
    assert 10 <= fps <= 30
    assert read[5, 15, 10].mean() > 150  # the square is where it was drawn


def test_resampling_changes_rate_and_size():
    frames = _moving_square(frames=48)
    out, index = resample(frames, 24.0, 12.0, 16)
    assert out.shape == (24, 16, 16, 3)
    assert list(index[:4]) == [0, 2, 4, 6]
    slow, index = resample(frames[:12], 6.0, 12.0, 40)
    assert len(slow) == 24 and list(index[:4]) == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "cannot be decoded|no decodable frames"), (b"\x00garbage" * 100, "cannot be decoded|no decodable frames")],
)
def test_corrupt_and_empty_videos_are_named(tmp_path, content, message):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(PhyslabError, match=message) as err:
        read_video(path)
    assert str(path) in str(err.value)


def test_short_missing_and_non_video_files(tmp_path):
    short = tmp_path / "short.npz"
    np.savez(short, frames=_moving_square(frames=5))
    with pytest.raises(PhyslabError, match="at least 8"):
        read_video(short)
    with pytest.raises(PhyslabError, match="no such file"):
        read_video(tmp_path / "nothing.mp4")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(PhyslabError, match="not a video"):
        read_video(text)


def test_surprise_curve_carries_frames_and_seconds(tiny_model):
    curve = surprise(_moving_square(frames=48), str(tiny_model), fps=24.0)
    assert len(curve.values) == 48 * 12 // 24
    assert np.isnan(curve.values[:2]).all() and np.isfinite(curve.values[2:]).all()
    assert curve.frames[1] == 2 and curve.seconds[1] == pytest.approx(2 / 24)
    assert curve.clip_surprise("max") >= curve.clip_surprise("mean")


def test_pairwise_accuracy_and_auroc():
    def row(pair, label, value, concept="c"):
        return {
            "pair": pair,
            "label": label,
            "surprise": value,
            "concept": concept,
            "peak_delay_s": 0.1 if label == "impossible" else None,
        }

    pairs = [(row(1, "possible", 1.0), row(1, "impossible", 2.0)), (row(2, "possible", 3.0), row(2, "impossible", 0.5))]
    pairs.append((row(3, "possible", 1.0, "d"), row(3, "impossible", 1.0, "d")))
    summary = summarise(pairs, [r for p in pairs for r in p])
    assert summary["pairwise_accuracy"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert summary["per_concept"]["c"]["pairwise_accuracy"] == 0.5
    assert summary["per_concept"]["d"]["pairs"] == 1
    assert 0 <= summary["auroc"] <= 1
    low, high = summary["per_concept"]["c"]["pairwise_interval"]
    assert low < 0.5 < high
    one_tie = summary["per_concept"]["d"]["pairwise_interval"]  # one pair says next to nothing
    assert one_tie[0] < 0.1 and one_tie[1] > 0.9 and sum(one_tie) == pytest.approx(1.0)


def test_the_accuracy_interval_is_wilsons_and_takes_half_wins():
    from scipy.stats import binomtest

    for wins, count in [(10, 20), (14, 20), (20, 20), (0, 20), (37, 40)]:
        expected = binomtest(wins, count).proportion_ci(0.95, method="wilson")
        assert wilson_interval(wins / count, count) == pytest.approx([expected.low, expected.high], abs=2e-4)
    tied = wilson_interval(12.5 / 20, 20)  # a tie counts half a win
    assert wilson_interval(12 / 20, 20)[0] < tied[0] < wilson_interval(13 / 20, 20)[0]
    assert wilson_interval(0.5, 0) == [0.0, 1.0]


def test_evaluate_a_set(stimulus_set, tiny_model):
    result = evaluate(stimulus_set, str(tiny_model))
    summary = result.summary
    assert {"pairwise_accuracy", "auroc", "pairs", "per_concept", "errors"} <= set(summary)
    assert summary["pairs"] == 4 and not summary["errors"]
    assert set(summary["per_concept"]) == {"inertia", "gravity"}
    assert len(result.clips) == 8 and all(r["peak_delay_s"] is not None for r in result.clips)


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
    assert any(rows[0]["clip"] in error and "decoded" in error for error in result.errors)
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
    assert "surprise max" in scored.stdout and (tmp_path / "f.csv").read_text().startswith("clip,frame,seconds,surprise")


def test_cli_unreadable_model_is_one_line(stimulus_set, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nope")
    result = _run("evaluate", str(stimulus_set), "--model", str(bad))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_surprise_curve_rows():
    curve = SurpriseCurve("x", np.array([np.nan, 0.5]), np.array([0, 2]), 24.0)
    assert curve.rows()[0]["surprise"] is None and curve.rows()[1]["seconds"] == pytest.approx(2 / 24, abs=1e-4)


def test_precision_is_a_choice_and_bfloat16_keeps_the_curve(tiny_model):
    frames = _moving_square()
    model = load_model(tiny_model)
    exact = score_videos(model, [("clip", frames, 24.0)], precision="float32")[0]
    fast = score_videos(model, [("clip", frames, 24.0)], precision="bfloat16")[0]
    assert np.corrcoef(exact.values[2:], fast.values[2:])[0, 1] > 0.9
    with pytest.raises(PhyslabError, match="precision must be"):
        score_videos(model, [("clip", frames, 24.0)], precision="half")


def test_frames_at_times_shows_the_latest_frame_started_at_or_before_each_model_time():
    from physlab.data.video import frames_at_times

    # 10 fps for a second, then 60 fps for a second: the model's 12 fps sees each at its own time.
    starts = np.concatenate([np.arange(10) / 10, 1 + np.arange(60) / 60])
    index = frames_at_times(starts, 2.0, 12.0)
    assert len(index) == 24
    assert index[3] == 2  # 0.25 s: the frame taken at 0.2 s
    assert index[12] == 10  # 1.0 s: the first of the fast frames
    # A GIF frame held for 1.34 s stays on screen at every model time it covers.
    gif = np.concatenate([np.arange(16) * 0.04, [0.64]])
    index = frames_at_times(gif, 1.98, 12.0)
    assert len(index) == 24 and (index[8:] == 16).all() and index[7] == 14


def test_fit_frame_keeps_the_aspect_ratio():
    from physlab.data.video import fit_frame

    wide = np.full((40, 60, 3), 200, dtype=np.uint8)
    boxed = fit_frame(wide, 30, "letterbox")
    assert boxed.shape == (30, 30, 3)
    assert (boxed[:5] == 0).all() and (boxed[-5:] == 0).all() and (boxed[5:25] == 200).all()
    cropped = fit_frame(wide, 30, "crop")
    assert cropped.shape == (30, 30, 3) and (cropped == 200).all()
    tall = np.full((60, 40, 3), 100, dtype=np.uint8)
    assert (fit_frame(tall, 30, "letterbox")[:, :5] == 0).all()
