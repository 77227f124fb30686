"""Video files: browser-playable H.264 mp4 through the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

from physlab.errors import PhyslabError
from physlab.files import atomic_path


def write_mp4(path: str | Path, frames: np.ndarray, fps: float) -> None:
    """Encode (T, H, W, 3) uint8 frames as H.264/yuv420p, which Chromium, Firefox and Safari play."""
    height, width = frames.shape[1:3]
    with atomic_path(path) as temp:
        writer = imageio_ffmpeg.write_frames(
            str(temp),
            (width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            bitrate=None,
            macro_block_size=2,
            output_params=["-crf", "18", "-preset", "veryfast", "-movflags", "+faststart"],
            ffmpeg_log_level="error",
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()


def encode_mp4(frames: np.ndarray, fps: float) -> bytes:
    """The H.264 mp4 file of `frames`, as bytes (for a browser or a download)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        write_mp4(path, frames, fps)
        return path.read_bytes()


VIDEO_SUFFIXES = (".mp4", ".avi", ".gif", ".webm", ".mov", ".mkv", ".npz")
MIN_FRAMES = 8


def read_video(path: str | Path) -> tuple[np.ndarray, float]:
    """Frames (T, H, W, 3) uint8 RGB and the frame rate of any video a user brings.

    mp4 (H.264 or MPEG-4 part 2), avi, gif, webm through OpenCV; npz with `frames` (and an
    optional `fps`, default 24). Raises PhyslabError naming the file when it cannot be used.
    """
    path = Path(path)
    if not path.exists():
        raise PhyslabError(f"{path}: no such file")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise PhyslabError(f"{path}: not a video ({', '.join(VIDEO_SUFFIXES)} are read)")
    frames, fps = _read_npz(path) if path.suffix.lower() == ".npz" else _read_with_opencv(path)
    if len(frames) < MIN_FRAMES:
        raise PhyslabError(f"{path}: has {len(frames)} frames; at least {MIN_FRAMES} are needed")
    return frames, fps


def _read_npz(path: Path) -> tuple[np.ndarray, float]:
    try:
        with np.load(path, allow_pickle=False) as data:
            frames = np.asarray(data["frames"])
            fps = float(data["fps"]) if "fps" in data else 24.0
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise PhyslabError(f"{path}: not a readable npz video with a 'frames' array ({err})") from None
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    if frames.ndim != 4 or frames.shape[-1] not in (3, 4):
        raise PhyslabError(f"{path}: 'frames' must be (T, H, W, 3), got shape {frames.shape}")
    if frames.dtype != np.uint8:
        frames = np.clip(frames * (255.0 if frames.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return frames[..., :3], fps


def _read_with_opencv(path: Path) -> tuple[np.ndarray, float]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise PhyslabError(f"{path}: cannot be decoded as a video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise PhyslabError(f"{path}: holds no decodable frames")
    # GIFs and some containers report no rate; 0 or absurd values mean "unknown".
    return np.stack(frames), fps if 1.0 <= fps <= 240.0 else 24.0


ASPECT_MODES = ("letterbox", "crop")


def fit_frame(frame: np.ndarray, size: int, mode: str = "letterbox") -> np.ndarray:
    """(H, W, 3) uint8 -> (size, size, 3) uint8 with the aspect ratio kept, never squashed.

    "letterbox" scales the longer side to `size` and pads the rest with black, centred (nothing is lost);
    "crop" scales the shorter side to `size` and keeps the centre (nothing is padded, the edges are lost).
    """
    if mode not in ASPECT_MODES:
        raise PhyslabError(f"aspect must be one of {', '.join(ASPECT_MODES)}, got {mode!r}")
    height, width = frame.shape[:2]
    if (height, width) == (size, size):
        return frame
    scale = size / max(height, width) if mode == "letterbox" else size / min(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(frame), (new_w, new_h), interpolation=interpolation)
    if mode == "crop":
        top, left = (new_h - size) // 2, (new_w - size) // 2
        return resized[top : top + size, left : left + size]
    out = np.zeros((size, size, 3), dtype=np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = resized
    return out


def fit_frames(frames: np.ndarray, size: int, mode: str = "letterbox") -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, size, size, 3) uint8, each frame as `fit_frame` makes it."""
    return np.stack([fit_frame(frame, size, mode) for frame in frames]) if len(frames) else frames[:, :size, :size]


def frames_at_times(starts: np.ndarray, end: float, fps: float) -> np.ndarray:
    """Which frame is on screen at each model time k / fps (k = 0, 1, ... while k / fps < end).

    `starts` (N,) are the frames' presentation times in seconds, non-decreasing, the first at 0; `end` is
    when the last frame leaves the screen (its start plus its own duration). At each model time the frame
    shown is the latest one that started at or before it, as a browser or a player shows it.
    Returns (T,) int indices into the N frames.
    """
    count = max(1, int(np.ceil(end * fps - 1e-6)))
    times = np.arange(count) / fps
    index = np.searchsorted(np.asarray(starts, dtype=float), times + 1e-9, side="right") - 1
    return np.clip(index, 0, len(starts) - 1)


def resample(frames: np.ndarray, fps: float, target_fps: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames at `target_fps` and `size` x `size`, and the source frame index of each."""
    duration = len(frames) / fps
    count = max(1, int(np.floor(duration * target_fps + 1e-6)))
    # The frame on screen at each target time is the latest one shown at or before it.
    index = np.minimum(np.floor(np.arange(count) * fps / target_fps + 1e-6).astype(int), len(frames) - 1)
    picked = frames[index]
    if picked.shape[1:3] != (size, size):
        picked = np.stack([cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA) for frame in picked])
    return picked, index
