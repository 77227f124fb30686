"""Data filmed in a look: stimulus sets in the look's codec, size and rate; training shards of square frames
that load at the model's rate, whatever each clip's frame rate; masks follow the frames."""

import csv
import json
import subprocess
import sys

import av
import numpy as np
import pytest

from physlab.cli import main
from physlab.data.fitting import fit_masks
from physlab.data.shards import iter_training_clips, read_shard, write_training_set
from physlab.data.stimuli import write_stimuli
from physlab.data.video import fit_frame
from physlab.errors import PhyslabError
from physlab.scenes.families import load_families
from physlab.train.loop import load_clips


@pytest.fixture(scope="module")
def randomized_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("randomized")
    write_training_set(
        out, load_families("inertia,gravity_drop"), 8, seed=3, size=32, shard_size=4, look="randomized", progress=False
    )
    return out


def test_training_shards_from_a_randomized_look_hold_square_frames_and_each_clips_rate(randomized_data):
    shard = read_shard(randomized_data / "shards" / "shard_00000.npz")
    assert shard.frames.shape[2:] == (32, 32, 3) and shard.masks.shape[2:] == (32, 32)
    rates = {
        meta["fps"]
        for path in ("shard_00000", "shard_00001")
        for meta in read_shard(randomized_data / "shards" / f"{path}.npz").meta
    }
    assert len(rates) > 1, "a randomized look draws several frame rates"
    for meta, frames in zip(shard.meta, shard.frames):
        assert meta["frames"] == round(48 * meta["fps"] / 24)  # the family's two seconds at the clip's rate
        assert not frames[meta["frames"] :].any()  # padding after the clip's end
        assert meta["look"] == "randomized" and meta["filmed"]["fit"] in ("letterbox", "crop")
    clips = list(iter_training_clips(randomized_data))
    assert [len(frames) for frames, _ in clips] == [meta["frames"] for _, meta in clips]


def test_training_shards_load_at_the_models_rate(randomized_data):
    clips = load_clips(randomized_data, 32, 12.0, reappearance_grid=8, progress=False)
    assert clips.frames.shape == (8, 24, 32, 32, 3)  # two seconds at 12 fps, every clip
    assert clips.reappearing.shape == (8, 24, 8, 8)


def test_load_clips_picks_each_clips_frames_by_time(tmp_path):
    # Two clips of two seconds, at 24 and 48 fps; each frame's pixels say when it was shown.
    frames = np.zeros((2, 96, 4, 4, 3), dtype=np.uint8)
    frames[0, :48] = (np.arange(48) * 2)[:, None, None, None]  # 24 fps: frame i at 2i/48 s, stored as 2i
    frames[1, :96] = np.arange(96)[:, None, None, None]  # 48 fps: frame i at i/48 s
    meta = [{"index": 0, "family": "f", "concept": "c", "seed": 0, "fps": 24.0, "frames": 48},
            {"index": 1, "family": "f", "concept": "c", "seed": 1, "fps": 48.0, "frames": 96}]  # fmt: skip
    (tmp_path / "shards").mkdir()
    np.savez_compressed(
        tmp_path / "shards" / "shard_00000.npz", frames=frames, masks=frames[..., 0], meta=np.array(json.dumps(meta))
    )
    (tmp_path / "manifest.csv").write_text("shard,index,family,concept,seed\nshards/shard_00000.npz,0,f,c,0\n")
    clips = load_clips(tmp_path, 4, 12.0, progress=False)
    assert clips.frames.shape == (2, 24, 4, 4, 3)
    shown = clips.frames[:, :, 0, 0, 0].numpy()
    assert np.array_equal(shown[0], np.arange(24) * 4) and np.array_equal(shown[1], np.arange(24) * 4)  # time k/12 s


@pytest.mark.parametrize("mode", ["letterbox", "crop"])
def test_masks_are_fitted_like_their_frames(mode):
    masks = np.zeros((1, 40, 60), dtype=np.uint8)
    masks[0, 10:30, 35:55] = 3
    frame = np.repeat(masks[0, :, :, None] * 80, 3, axis=2)
    fitted_frame, fitted_mask = fit_frame(frame, 24, mode), fit_masks(masks, 24, mode)[0]
    assert set(np.unique(fitted_mask)) <= {0, 3}
    assert np.array_equal(fitted_mask == 3, fitted_frame[..., 0] > 120)


def test_a_held_out_look_writes_its_codec_size_and_rate(tmp_path):
    report = write_stimuli(tmp_path, load_families("gravity_drop"), 1, size=32, look="heldout_gif_corner", progress=False)
    assert report.made == 1 and not report.errors
    with open(tmp_path / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["clip"] for row in rows] == ["clips/gravity_drop_000000_possible.gif", "clips/gravity_drop_000000_impossible.gif"]
    for row in rows:
        assert row["fps"] == "25.0" and row["frames"] == "50"
        with av.open(str(tmp_path / row["clip"])) as handle:
            assert handle.streams.video[0].codec_context.name == "gif"
            decoded = list(handle.decode(video=0))
        assert len(decoded) == 50 and (decoded[0].width, decoded[0].height) == (180, 120)
        assert decoded[1].time == pytest.approx(0.04)
    meta = json.loads((tmp_path / "meta" / "gravity_drop_000000_possible.json").read_text())
    assert meta["look"]["codec"] == "gif" and meta["width"] == 180
    settings = json.loads((tmp_path / "stimuli.json").read_text())
    assert settings["look"] == "heldout_gif_corner"
    with pytest.raises(PhyslabError, match="look was 'heldout_gif_corner', now 'heldout_dusk'"):
        write_stimuli(tmp_path, load_families("gravity_drop"), 1, size=32, look="heldout_dusk", progress=False)
    with pytest.raises(PhyslabError, match="look was 'heldout_gif_corner', now None"):
        write_stimuli(tmp_path, load_families("gravity_drop"), 1, size=32, progress=False)


def test_the_cli_takes_a_look_and_names_a_bad_one(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nvideo: {fit: stretch}\n")
    assert main(["stimuli", str(tmp_path / "set"), "--pairs", "1", "--look", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"physlab: error: {bad}: field video.fit") and "\n" not in err
    assert main(["generate", str(tmp_path / "data"), "--clips", "2", "--look", "nosuch", "--quiet"]) == 2
    assert "no look named 'nosuch'" in capsys.readouterr().err
    code = main(
        [
            "generate",
            str(tmp_path / "data"),
            "--clips",
            "2",
            "--size",
            "32",
            "--scenes",
            "inertia",
            "--look",
            "heldout_dusk",
            "--workers",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    assert read_shard(tmp_path / "data" / "shards" / "shard_00000.npz").meta[0]["fps"] == 30.0


def test_looks_lists_the_bundled_looks(capsys):
    assert main(["looks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("classic") and any(line.startswith("randomized ") for line in lines)


def test_a_reader_that_stops_early_gets_no_error_line():
    # `physlab looks | head -1`: the pipe closes before the list is written; cat and ls say nothing then.
    command = f'"{sys.executable}" -c "import sys; from physlab.cli import main; sys.exit(main([\'looks\']))" | true'
    done = subprocess.run(["bash", "-c", command + '; echo "${PIPESTATUS[0]}"'], capture_output=True, text=True, timeout=120)
    assert done.stderr == "" and done.stdout.strip() == "141", (done.stdout, done.stderr)
