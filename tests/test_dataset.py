"""Training data: shards, determinism across workers and shards, resume after a kill."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from physlab.data.shards import iter_training_clips, read_shard, shard_files, write_training_set
from physlab.errors import PhyslabError
from physlab.scenes.families import load_families

FAMILIES = "inertia,freeplay,gravity_drop"


def _make(out, clips, **kwargs):
    options = {"seed": 5, "size": 32, "frames": 16, "shard_size": 4, "progress": False} | kwargs
    return write_training_set(out, load_families(FAMILIES), clips, **options)


def _frames(out):
    return np.concatenate([read_shard(path).frames for path in shard_files(out)])


def test_generate_writes_possible_clips_round_robin(tmp_path):
    report = _make(tmp_path, 10)
    assert report.made == 10
    with open(tmp_path / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["family"] for row in rows[:4]] == ["inertia", "freeplay", "gravity_drop", "inertia"]
    assert len(rows) == 10 and len(shard_files(tmp_path)) == 3
    clips = list(iter_training_clips(tmp_path))
    assert len(clips) == 10 and clips[0][0].shape == (16, 32, 32, 3)


def test_workers_and_shards_give_the_same_bytes(tmp_path):
    _make(tmp_path / "one", 8, workers=1)
    _make(tmp_path / "two", 8, workers=2)
    _make(tmp_path / "split", 8, shard=(0, 2))
    _make(tmp_path / "split", 8, shard=(1, 2))
    reference = _frames(tmp_path / "one")
    assert np.array_equal(reference, _frames(tmp_path / "two"))
    assert np.array_equal(reference, _frames(tmp_path / "split"))
    assert sorted(p.name for p in (tmp_path / "split").glob("manifest*.csv")) == ["manifest-0-of-2.csv", "manifest-1-of-2.csv"]


def test_growing_a_set_completes_the_partial_shard(tmp_path):
    _make(tmp_path, 6)
    report = _make(tmp_path, 8)
    assert (report.reused, report.made) == (4, 4)
    assert len(list(iter_training_clips(tmp_path))) == 8


def test_other_settings_are_refused(tmp_path):
    _make(tmp_path, 4)
    with pytest.raises(PhyslabError, match="seed was 5, now 6"):
        _make(tmp_path, 4, seed=6)


@pytest.mark.slow
def test_a_killed_run_resumes_with_only_what_is_missing(tmp_path):
    out = tmp_path / "data"
    command = [sys.executable, "-m", "physlab", "generate", str(out), "--clips", "40", "--scenes", FAMILIES, "--seed", "5",
               "--size", "48", "--frames", "24", "--shard-size", "4", "--workers", "1", "--quiet"]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while len(list((out / "shards").glob("shard_*.npz"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = len(list((out / "shards").glob("shard_*.npz")))
    assert 2 <= finished < 10, "killed while shards were still missing"
    assert not (out / "manifest.csv").exists()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{40 - 4 * finished} clips made, {4 * finished} already there" in result.stdout
    assert not list(out.rglob(".*.tmp*"))
    fresh = tmp_path / "fresh"
    _make(fresh, 40, size=48, frames=24)
    assert np.array_equal(_frames(out), _frames(fresh))


def test_parts_of_one_set_lock_separately(tmp_path):
    from physlab.files import exclusive_folder

    with exclusive_folder(tmp_path, "-0-of-2"):
        _make(tmp_path, 8, shard=(1, 2))  # another part may run beside it
        with pytest.raises(PhyslabError, match="another physlab run"):
            _make(tmp_path, 8, shard=(0, 2))


def test_a_corrupt_shard_is_a_one_line_error(tmp_path):
    _make(tmp_path, 4)
    shard_files(tmp_path)[0].write_bytes(b"truncated")
    with pytest.raises(PhyslabError, match="not a readable physlab shard"):
        list(iter_training_clips(tmp_path))


def test_a_stimulus_set_given_as_training_data_is_a_one_line_error(tmp_path):
    (tmp_path / "manifest.csv").write_text("clip,pair,label\nclips/a.mp4,a,possible\n")
    with pytest.raises(PhyslabError, match="not a training set's manifest .no shard column.*physlab stimuli"):
        shard_files(tmp_path)
