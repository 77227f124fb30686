"""A look's codec: stimulus clips stored as H.264, MPEG-4 part 2 or dithered GIF, and the same round trip for training.

Encoding and decoding run in this process through PyAV (FFmpeg's libraries), in memory, so a
training clip pays no subprocess. The `raw` codec is the classic one: stimuli in H.264 at CRF 18
through `physlab.data.video.write_mp4` (byte for byte what physlab always wrote) and training
frames as rendered. GIF frames are quantized one at a time (an adaptive palette of
`gif_colors`, Floyd-Steinberg dithering), so twins that show the same picture at a frame get
the same GIF frame; every frame is kept (no merging of identical frames), each shown from
`round(100 t / fps)` centiseconds on, so a reader that follows frame times sees the right rate.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from physlab.data.video import write_mp4
from physlab.files import atomic_path
from physlab.scenes.looks import ConcreteLook

FORMATS = {"h264": "mp4", "gif": "gif"}


def write_clip(path: str | Path, frames: np.ndarray, fps: float, look: ConcreteLook | None) -> None:
    """Write (T, H, W, 3) uint8 frames as the look stores clips (path's suffix: `look.suffix`), atomically."""
    if look is None or look.codec == "raw":
        write_mp4(path, frames, fps)
        return
    data = encode(frames, fps, look)
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def round_trip(frames: np.ndarray, fps: float, look: ConcreteLook | None) -> np.ndarray:
    """The frames as a player shows them after the look's codec (the raw codec returns them as they are)."""
    if look is None or look.codec == "raw":
        return frames
    decoded = decode(encode(frames, fps, look), _format(look))
    if len(decoded) != len(frames):
        raise ValueError(f"{look.codec} round trip gave {len(decoded)} frames for {len(frames)}")
    return decoded


def _format(look: ConcreteLook) -> str:
    return FORMATS.get(look.codec, look.container)


def encode(frames: np.ndarray, fps: float, look: ConcreteLook) -> bytes:
    """The file of (T, H, W, 3) uint8 frames in the look's codec and container, as bytes."""
    height, width = frames.shape[1:3]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=_format(look)) as container:
        if look.codec == "gif":
            _encode_gif(container, frames, fps, int(round(look.quality)), look.gif_dither)
        else:
            stream = container.add_stream(
                "libx264" if look.codec == "h264" else "mpeg4", rate=Fraction(fps).limit_denominator(1001)
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            quality = str(int(round(look.quality)))
            # x264's constant rate factor; for MPEG-4 part 2 a fixed quantizer (ffmpeg's -q:v).
            stream.options = (
                {"crf": quality, "preset": "veryfast"} if look.codec == "h264" else {"qmin": quality, "qmax": quality}
            )
            for frame in frames:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
            container.mux(stream.encode(None))
    return buffer.getvalue()


def _encode_gif(container: av.container.OutputContainer, frames: np.ndarray, fps: float, colors: int, dither: bool) -> None:
    stream = container.add_stream("gif", rate=100)  # GIF delays are in centiseconds
    stream.height, stream.width = frames.shape[1:3]
    stream.pix_fmt = "pal8"
    method = Image.Dither.FLOYDSTEINBERG if dither else Image.Dither.NONE
    for t, frame in enumerate(frames):
        quantized = Image.fromarray(frame).quantize(
            colors=max(2, min(256, colors)), method=Image.Quantize.FASTOCTREE, dither=method
        )
        rgb = np.asarray(quantized.getpalette(), dtype=np.uint8).reshape(-1, 3)
        palette = np.zeros((256, 4), dtype=np.uint8)
        palette[: len(rgb), 0] = 255  # ARGB, opaque
        palette[: len(rgb), 1:] = rgb
        picture = av.VideoFrame.from_ndarray((np.asarray(quantized), palette), format="pal8")
        picture.pts = round(100 * t / fps)
        container.mux(stream.encode(picture))
    container.mux(stream.encode(None))


def decode(data: bytes, fmt: str) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB frames of an encoded file."""
    converter = VideoReformatter()  # kept between frames: to_ndarray(format="rgb24") builds a scaler per frame, 40x slower
    with av.open(io.BytesIO(data), mode="r", format=fmt) as container:
        return np.stack([converter.reformat(frame, format="rgb24").to_ndarray() for frame in container.decode(video=0)])
