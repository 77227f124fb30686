"""Written files: atomic, and with the permissions the umask gives (a lab shares clips and models)."""

import os
import stat

import pytest
from conftest import TINY

from physlab.data.shards import write_training_set
from physlab.data.stimuli import write_stimuli
from physlab.files import atomic_path, write_csv
from physlab.model import build_model, save_model
from physlab.scenes.families import load_families


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def _modes(folder) -> dict[str, str]:
    return {str(path.relative_to(folder)): stat.filemode(path.stat().st_mode) for path in folder.rglob("*") if path.is_file()}


def test_clips_manifests_and_models_are_readable_by_the_group_and_others_under_umask_022(umask, tmp_path):
    umask(0o022)
    stimuli = tmp_path / "set"
    write_stimuli(stimuli, load_families("inertia", with_violations=True), 1, size=32, progress=False)
    write_training_set(tmp_path / "data", load_families("inertia"), 2, size=32, frames=16, progress=False)
    save_model(tmp_path / "run" / "model.safetensors", build_model(TINY))
    modes = {f"set/{k}": v for k, v in _modes(stimuli).items()}
    modes |= {f"data/{k}": v for k, v in _modes(tmp_path / "data").items()}
    modes |= {f"run/{k}": v for k, v in _modes(tmp_path / "run").items()}
    for expected in ("set/manifest.csv", "set/clips/inertia_000000_possible.mp4", "data/manifest.csv", "run/model.safetensors"):
        assert expected in modes, sorted(modes)
    written = {name: mode for name, mode in modes.items() if not name.split("/")[-1].startswith(".lock")}
    assert set(written.values()) == {"-rw-r--r--"}, written


def test_a_stricter_umask_is_respected_too(umask, tmp_path):
    umask(0o077)
    write_csv(tmp_path / "private.csv", [{"a": 1}])
    assert stat.filemode((tmp_path / "private.csv").stat().st_mode) == "-rw-------"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["table.csv"]
