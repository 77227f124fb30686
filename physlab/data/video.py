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
