"""Video files: browser-playable H.264 mp4 through the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np

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
