"""Reading what users bring: real timestamps, any codec FFmpeg decodes, frame folders, long clips in bounded memory."""

import subprocess
import sys
import tracemalloc

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from physlab.data.video import (
    DEFAULT_FPS,
    ModelInput,
    fit_frame,
    frames_at_times,
    read_video,
    video_from_frames,
    write_mp4,
)
from physlab.errors import PhyslabError

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
MODEL = ModelInput(fps=12.0, size=32)


def clock_frames(times, size=(48, 64)):
    """A white square whose x position is 2 px per 0.1 s of the time each frame was taken: a clock in the picture."""
    frames = np.zeros((len(times), *size, 3), np.uint8)
    for index, time in enumerate(times):
        x = int(round(time * 20))
        frames[index, 20:28, x : x + 8] = 255
    return frames


def clock_time(frame):
    """When a frame of clock_frames was taken, read from where its square is (at the frame's own size)."""
    columns = np.flatnonzero(frame.max(axis=(0, 2)) > 100)
    return columns[0] / 20 if len(columns) else None


def encode(frames, path, fps, args, timestamps_ms=None):
    count, height, width, _ = frames.shape
    command = [FFMPEG, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"]
    command += ["-r", str(fps), "-i", "-"]
    if timestamps_ms is not None:
        expression = "+".join(f"eq(N,{i})*{int(t)}" for i, t in enumerate(timestamps_ms))
        command += ["-vf", f"settb=1/1000,setpts='{expression}'", "-fps_mode", "passthrough"]
    subprocess.run([*command, *args, str(path)], input=np.ascontiguousarray(frames).tobytes(), check=True)
    return path


def test_a_variable_frame_rate_clip_is_read_at_its_timestamps(tmp_path):
    # 10 fps for a second, then 60 fps: a phone in low light, then in daylight.
    times = np.concatenate([np.arange(10) / 10, 1 + np.arange(60) / 60])
    path = encode(clock_frames(times), tmp_path / "vfr.mp4", 30, ["-c:v", "libx264", "-pix_fmt", "yuv420p"], times * 1000)
    video = read_video(path, ModelInput(fps=12.0, size=64, aspect="crop"))
    assert len(video.frames) == 24
    shown = times[video.source_index]
    assert np.all(shown <= video.times + 1e-6) and np.all(video.times - shown < 0.1 + 1e-6)
    assert video.source_index[3] == 2  # at 0.25 s the frame taken at 0.2 s, not the 8th frame (0.8 s)
    assert video.source_times[10] == pytest.approx(1.0, abs=1e-3)


def test_a_gif_frame_stays_on_screen_for_its_own_delay(tmp_path):
    frames = np.zeros((17, 32, 64, 3), np.uint8)
    for index in range(17):
        frames[index, 10:20, 3 * index : 3 * index + 6] = 255  # every stored frame differs, so none is merged
    images = [Image.fromarray(frame) for frame in frames]
    path = tmp_path / "merged.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=[40] * 16 + [1340], loop=0)
    video = read_video(path, MODEL)
    assert len(video.frames) == 24  # 1.98 s at 12 fps
    assert (video.source_index[8:] == 16).all()  # the long last frame, from 0.667 s to the end
    assert video.source_index[7] == 14


def test_a_rate_above_240_keeps_real_time(tmp_path):
    path = encode(clock_frames(np.arange(150) / 300), tmp_path / "fast.mp4", 300, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
    video = read_video(path, MODEL)
    assert len(video.frames) == 6  # half a second, not 6 s
    assert video.source_index[3] == 75


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("av1.mp4", ["-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"]),
        ("av1.webm", ["-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"]),
        ("hevc.mp4", ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"]),
        ("clip.MTS", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"]),
        ("clip.mpg", ["-c:v", "mpeg2video"]),
        ("clip.wmv", ["-c:v", "wmv2"]),
        ("clip.m4v", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4"]),
        ("clip.3gp", ["-c:v", "mpeg4", "-s", "176x144"]),
        ("mpeg4.avi", ["-c:v", "mpeg4", "-q:v", "8"]),
        ("vp9.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime"]),
        ("prores.mov", ["-c:v", "prores_ks"]),
        ("mjpeg.mkv", ["-c:v", "mjpeg", "-q:v", "3"]),
    ],
)
def test_whatever_ffmpeg_decodes_is_read(tmp_path, name, args):
    path = encode(clock_frames(np.arange(24) / 12), tmp_path / name, 12, args)
    video = read_video(path, MODEL)
    assert len(video.frames) == 24 and video.frames.shape[1:] == (32, 32, 3)
    assert video.has_timing


def test_decoder_chatter_never_reaches_the_user_and_a_truncated_file_says_so(tmp_path):
    path = encode(clock_frames(np.arange(48) / 24), tmp_path / "av1.mp4", 24, ["-c:v", "libaom-av1", "-cpu-used", "8"])
    data = path.read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: len(data) // 2])  # an interrupted download
    lines = ["from physlab.data.video import ModelInput, read_video", f"for p in {[str(path), str(broken)]!r}:"]
    lines += ["    try: print(read_video(p, ModelInput(12, 32)).warning)", "    except Exception as e: print(e)"]
    run = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == ""
    good, cut = run.stdout.splitlines()
    assert good == "None"
    assert "broken.mp4" in cut or "truncated" in cut


def test_an_undecodable_video_is_named_with_its_codec_and_a_command_that_converts_it(tmp_path):
    good = encode(clock_frames(np.arange(24) / 12), tmp_path / "good.mp4", 12, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
    data = bytearray(good.read_bytes())
    box = data.index(b"mdat") - 4
    size = int.from_bytes(data[box : box + 4], "big")
    data[box + 8 : box + size] = bytes(size - 8)  # the container is intact, every coded frame is zeros
    path = tmp_path / "zeroed.mp4"
    path.write_bytes(bytes(data))
    with pytest.raises(PhyslabError, match=r"h264 video cannot be decoded here.*ffmpeg -i zeroed.mp4 -c:v libx264"):
        read_video(path, MODEL)


@pytest.mark.parametrize(("content", "message"), [(b"", "not a video FFmpeg can read"), (b"\x00garbage" * 100, "not a video")])
def test_corrupt_and_empty_files_are_named(tmp_path, content, message):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(PhyslabError, match=message) as err:
        read_video(path, MODEL)
    assert str(path) in str(err.value)


def test_short_missing_and_non_video_files(tmp_path):
    short = tmp_path / "short.npz"
    np.savez(short, frames=clock_frames(np.arange(3) / 24), fps=24.0)
    with pytest.raises(PhyslabError, match="too short for the model: 2 frames"):
        read_video(short, ModelInput(12.0, 32, min_frames=3))
    with pytest.raises(PhyslabError, match="no such file"):
        read_video(tmp_path / "nothing.mp4", MODEL)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(PhyslabError, match="not a video"):
        read_video(text, MODEL)


def test_a_clip_longer_than_the_limit_is_refused_before_decoding(tmp_path):
    path = encode(clock_frames(np.arange(130)), tmp_path / "long.mp4", 1, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
    with pytest.raises(PhyslabError, match=r"130.0 s of 64x48 at 1 fps; physlab scores clips up to 120 s.*ffmpeg -ss") as err:
        read_video(path, MODEL)
    assert "\n" not in str(err.value)
    assert len(read_video(path, ModelInput(1.0, 32, max_seconds=200)).frames) == 130


def test_memory_is_bounded_by_the_model_input_not_the_file(tmp_path):
    # Two seconds of 1080p at 60 fps: 746 MB decoded whole; the model keeps 24 frames of 32x32.
    frames = np.zeros((1, 1080, 1920, 3), np.uint8)
    path = tmp_path / "phone.mp4"
    command = [FFMPEG, "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=60", "-t", "2"]
    subprocess.run([*command, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    del frames
    tracemalloc.start()
    video = read_video(path, MODEL)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(video.frames) == 24 and len(video.source_times) == 120
    assert peak < 30e6, f"{peak / 1e6:.0f} MB of Python and numpy memory at the peak"


def test_a_portrait_phone_clip_is_turned_upright(tmp_path):
    landscape = encode(clock_frames(np.arange(24) / 12), tmp_path / "raw.mp4", 12, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
    rotated = tmp_path / "portrait.mp4"
    command = [FFMPEG, "-y", "-loglevel", "error", "-display_rotation", "90", "-i", str(landscape), "-c", "copy"]
    subprocess.run([*command, str(rotated)], check=True)
    video = read_video(rotated, ModelInput(12.0, 64, aspect="letterbox"))
    assert video.source_size == (48, 64)
    upright = read_video(landscape, ModelInput(12.0, 64, aspect="letterbox")).frames
    assert np.abs(video.frames[5].astype(int) - np.rot90(upright[5]).astype(int)).mean() < 40


def test_a_folder_of_frames_is_a_video_and_a_file_without_timing_says_so(tmp_path):
    folder = tmp_path / "scene"
    folder.mkdir()
    for index, frame in enumerate(clock_frames(np.arange(30) / 30)):
        Image.fromarray(frame).save(folder / f"scene_{index + 1}.png")  # scene_2 before scene_10
    video = read_video(folder, MODEL)
    assert not video.has_timing and f"assumed {DEFAULT_FPS:g} fps" in video.timing
    assert len(video.frames) == 15 and list(video.source_index[:3]) == [0, 2, 4]
    told = read_video(folder, MODEL, fps=30.0)
    assert "30 from the manifest" in told.timing and len(told.frames) == 12
    (folder / "scene_31.png").write_text("not an image")
    with pytest.raises(PhyslabError, match="scene_31.png: not a readable image"):
        read_video(folder, MODEL)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PhyslabError, match="no image frames"):
        read_video(empty, MODEL)


def test_npz_frames_with_and_without_a_rate(tmp_path):
    timed, untimed = tmp_path / "timed.npz", tmp_path / "untimed.npz"
    np.savez(timed, frames=clock_frames(np.arange(24) / 24), fps=np.float32(24))
    np.savez(untimed, frames=clock_frames(np.arange(24) / 24).astype(np.float32) / 255.0)
    assert read_video(timed, MODEL).has_timing and len(read_video(timed, MODEL).frames) == 12
    floats = read_video(untimed, MODEL)
    assert not floats.has_timing and floats.frames.dtype == np.uint8 and floats.frames.max() > 200


def test_a_crop_keeps_only_that_part_of_the_frame(tmp_path):
    frames = np.zeros((24, 400, 600, 3), np.uint8)
    frames[:, 190:200, 300:310] = 255  # a ball 10 px wide in a wide room
    path = tmp_path / "room.npz"
    np.savez(path, frames=frames, fps=24.0)
    whole = read_video(path, MODEL).frames[0]
    cropped = read_video(path, MODEL, crop=(250, 150, 100, 100)).frames[0]
    assert whole.max() < 255 and (cropped > 200).sum() > 4 * (whole > 100).sum()
    with pytest.raises(PhyslabError, match="lies outside"):
        read_video(path, MODEL, crop=(700, 500, 10, 10))


def test_frames_in_memory_follow_the_same_rule():
    video = video_from_frames("clip", clock_frames(np.arange(48) / 24), 24.0, MODEL)
    assert len(video.frames) == 24 and list(video.source_index[:3]) == [0, 2, 4]


def test_frames_at_times_shows_the_latest_frame_started_at_or_before_each_model_time():
    starts = np.concatenate([np.arange(10) / 10, 1 + np.arange(60) / 60])
    index = frames_at_times(starts, 2.0, 12.0)
    assert len(index) == 24 and index[3] == 2 and index[12] == 10
    gif = np.concatenate([np.arange(16) * 0.04, [0.64]])
    index = frames_at_times(gif, 1.98, 12.0)
    assert len(index) == 24 and (index[8:] == 16).all() and index[7] == 14


def test_fit_frame_keeps_the_aspect_ratio():
    wide = np.full((40, 60, 3), 200, dtype=np.uint8)
    boxed = fit_frame(wide, 30, "letterbox")
    assert boxed.shape == (30, 30, 3)
    assert (boxed[:5] == 0).all() and (boxed[-5:] == 0).all() and (boxed[5:25] == 200).all()
    cropped = fit_frame(wide, 30, "crop")
    assert cropped.shape == (30, 30, 3) and (cropped == 200).all()
    tall = np.full((60, 40, 3), 100, dtype=np.uint8)
    assert (fit_frame(tall, 30, "letterbox")[:, :5] == 0).all()
    with pytest.raises(PhyslabError, match="aspect must be one of letterbox, crop"):
        fit_frame(wide, 30, "squash")


def test_written_clips_read_back(tmp_path):
    frames = clock_frames(np.arange(48) / 24)
    write_mp4(tmp_path / "clip.mp4", frames, 24)
    video = read_video(tmp_path / "clip.mp4", ModelInput(24.0, 64, aspect="crop"))
    assert len(video.frames) == 48
    for shown, made in zip(video.frames[:3], frames[:3]):
        assert np.abs(shown.astype(int) - fit_frame(made, 64, "crop").astype(int)).mean() < 8
