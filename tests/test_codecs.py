"""A look's codec: stimulus files in H.264, MPEG-4 part 2 and dithered GIF at the clip's rate; training round trips."""

import dataclasses
import io

import av
import numpy as np
import pytest

from physlab.data.codecs import decode, encode, round_trip, write_clip
from physlab.scenes.looks import ConcreteLook, Surface


def look(codec: str, quality: float, container: str = "mp4") -> ConcreteLook:
    plain = Surface(None)
    return ConcreteLook(
        name="test", room="backdrop", depth=1.0, width=4.0, floor=plain, walls=plain, bodies={}, shapes={}, clutter=(),
        distractor=None, light_color=None, lighting={}, camera={}, image_height=48, aspect=1.5, fps=None, codec=codec,
        container=container, quality=quality, gif_dither=True, grain=0.0, blur=0.0, fit="letterbox", speed=1.0,
        static_width=1.0, shift=(0.0, 0.0),
    )  # fmt: skip


def moving_square(frames: int = 20, height: int = 48, width: int = 72) -> np.ndarray:
    video = np.full((frames, height, width, 3), 60, dtype=np.uint8)
    for t in range(frames):
        video[t, 10:30, 2 + 2 * t : 22 + 2 * t] = (220, 80, 40)
    return video


@pytest.mark.parametrize(
    ("codec", "quality", "container", "name"),
    [("h264", 23, "mp4", "h264"), ("mpeg4", 6, "avi", "mpeg4"), ("mpeg4", 6, "mp4", "mpeg4"), ("gif", 32, "mp4", "gif")],
)
def test_clips_are_stored_in_the_looks_codec_at_its_rate(tmp_path, codec, quality, container, name):
    frames, concrete = moving_square(), look(codec, quality, container)
    path = tmp_path / f"clip{concrete.suffix}"
    write_clip(path, frames, 25.0, concrete)
    with av.open(str(path)) as handle:
        stream = handle.streams.video[0]
        assert stream.codec_context.name == name
        decoded = list(handle.decode(video=0))
    assert len(decoded) == 20 and (decoded[0].width, decoded[0].height) == (72, 48)
    assert [round(frame.time, 3) for frame in decoded[:3]] == [0.0, 0.04, 0.08]
    error = np.abs(np.stack([f.to_ndarray(format="rgb24") for f in decoded]).astype(int) - frames).mean()
    assert error < 12


def test_gif_times_follow_any_rate_and_no_frame_is_merged():
    frames = moving_square(25)
    frames[5:10] = frames[5]  # still frames: a GIF writer may not merge them
    data = encode(frames, 24.0, look("gif", 64))
    with av.open(io.BytesIO(data), format="gif") as handle:
        times = [frame.time for frame in handle.decode(video=0)]
    assert len(times) == 25
    assert times == pytest.approx([round(100 * t / 24) / 100 for t in range(25)])


def test_twins_keep_identical_gif_frames_before_they_differ():
    a = moving_square()
    b = a.copy()
    b[12:] = 60  # the second twin loses the square from frame 12 on
    concrete = look("gif", 32)
    first, second = decode(encode(a, 20.0, concrete), "gif"), decode(encode(b, 20.0, concrete), "gif")
    assert np.array_equal(first[:12], second[:12]) and not np.array_equal(first[12], second[12])


def test_round_trip_keeps_count_and_raw_keeps_pixels():
    frames = moving_square()
    assert round_trip(frames, 20.0, None) is frames
    assert round_trip(frames, 20.0, look("raw", 0)) is frames
    coarse = round_trip(frames, 20.0, look("mpeg4", 20, "avi"))
    fine = round_trip(frames, 20.0, dataclasses.replace(look("mpeg4", 2, "avi")))
    assert coarse.shape == fine.shape == frames.shape
    assert np.abs(coarse.astype(int) - frames).mean() > np.abs(fine.astype(int) - frames).mean()
