"""Video files in and out: any video FFmpeg decodes (and frame folders, npz) read at the model's times and size;
browser-playable H.264 written through the ffmpeg that imageio-ffmpeg ships.

Reading follows each frame's own timestamp, as a player does: at model time t the frame on screen is the latest
one that started at or before t, and the last frame stays for its own duration. A variable-frame-rate phone clip,
a GIF whose encoder merged identical frames into one long frame, and a 240 fps clip are all read at their real
times. Decoding is a stream: each frame is fitted to the model's size as it arrives and only the frames the model
needs are kept, so memory is bounded by the model's input (a one-minute 1080p60 clip: 720 frames of 64x64, 9 MB),
not by the file. PyAV (FFmpeg's own libraries, the decoder torchvision uses) gives the timestamps and decodes AV1,
HEVC, MPEG-2 transport streams, WMV and the rest that OpenCV's wheels cannot.
"""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import imageio_ffmpeg
import numpy as np
from av.video.reformatter import VideoReformatter

from physlab.errors import PhyslabError
from physlab.files import atomic_path

# Decoder chatter ("Missing Sequence Header", "moov atom not found") never reaches the user; errors do, as one line.
av.logging.set_level(None)

DEFAULT_FPS = 24.0  # assumed where a file carries no timing (frame folders, npz without fps), unless told
MAX_SECONDS = 120.0  # longer clips are refused before decoding: trim them to the event first
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
# What an upload form offers; any file FFmpeg decodes is read whatever its name (this list is for file pickers).
VIDEO_SUFFIXES = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".gif", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg", ".wmv", ".asf",
    ".3gp", ".3g2", ".flv", ".ogv", ".dv", ".mxf", ".npz",
)  # fmt: skip
ASPECT_MODES = ("letterbox", "crop")
MAX_NPZ_BYTES = 4 * 1024**3
TIME_TOLERANCE = 1e-6  # seconds: float noise only; a frame stamped after a model time is not yet on screen


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
    new_h, new_w = fitted_size(width, height, size, mode)[::-1]
    interpolation = cv2.INTER_AREA if new_w < width else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(frame), (new_w, new_h), interpolation=interpolation)
    return _pad_or_crop(resized, size)


def fitted_size(width: int, height: int, size: int, mode: str) -> tuple[int, int]:
    """(width, height) a frame is scaled to before `fit_frame` pads (letterbox) or cuts (crop) it to size x size."""
    scale = size / max(height, width) if mode == "letterbox" else size / min(height, width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _pad_or_crop(resized: np.ndarray, size: int) -> np.ndarray:
    new_h, new_w = resized.shape[:2]
    if new_h >= size and new_w >= size:
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
    count = max(1, _model_frames_before(end, fps))
    times = np.arange(count) / fps
    index = np.searchsorted(np.asarray(starts, dtype=float), times + TIME_TOLERANCE, side="right") - 1
    return np.clip(index, 0, len(starts) - 1)


@dataclass(frozen=True)
class ModelInput:
    """What a model takes from a video: frames at `fps` and `size` x `size`, fitted by `aspect` ("letterbox" or
    "crop"), at least `min_frames` of them, from a clip no longer than `max_seconds`."""

    fps: float
    size: int
    aspect: str = "letterbox"
    min_frames: int = 1
    max_seconds: float = MAX_SECONDS


@dataclass
class Video:
    """A clip as a model sees it, and where each of its frames came from.

    `frames` (T, size, size, 3) uint8: model frame k is what was on screen at k / fps seconds; `source_index` (T,)
    the source frame it is; `source_times` (N,) when every source frame started, in seconds from the first;
    `timing` says where the times came from ("timestamps", or the rate assumed for a file that has none).
    """

    name: str
    frames: np.ndarray
    source_index: np.ndarray
    source_times: np.ndarray
    fps: float
    timing: str = "timestamps"
    source_size: tuple[int, int] = (0, 0)
    warning: str | None = None  # something about the file a user should know: it ended early, say

    @property
    def times(self) -> np.ndarray:
        """(T,) model times in seconds."""
        return np.arange(len(self.frames)) / self.fps

    @property
    def has_timing(self) -> bool:
        return self.timing == "timestamps"

    def source_time(self, frame: int) -> float:
        """When source frame `frame` started, in seconds (frames past the end: extrapolated at the mean rate)."""
        if frame < len(self.source_times):
            return float(self.source_times[frame])
        step = float(np.mean(np.diff(self.source_times))) if len(self.source_times) > 1 else 1.0 / self.fps
        return float(self.source_times[-1]) + (frame - len(self.source_times) + 1) * step


def video_from_frames(name: str, frames: np.ndarray, fps: float, spec: ModelInput) -> Video:
    """A Video of frames (T, H, W, 3) uint8 shown at an even `fps` (a physlab clip, an array in memory)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise PhyslabError(f"{name}: frames must be (T, H, W, 3), got shape {frames.shape}")
    starts = np.arange(len(frames)) / fps
    sampler = _Sampler(name, spec)
    for index, frame in enumerate(frames):
        sampler.add(float(starts[index]), lambda frame=frame: frame)
    return sampler.finish(len(frames) / fps, "timestamps", (frames.shape[2], frames.shape[1]))


def read_video(path: str | Path, spec: ModelInput, *, fps: float | None = None, crop: tuple | None = None) -> Video:
    """Any clip a user brings, read at the model's times and size.

    A video file FFmpeg decodes (mp4, mov, avi, mkv, webm, gif, MTS, mpg, wmv, m4v, 3gp...; H.264, HEVC, AV1, VP9,
    MPEG-4 part 2, ...), a folder of image frames (png, jpg, ... in name order, IntPhys's `scene/` folders), or an
    npz with `frames` (T, H, W[, 3]) and an optional `fps`. Frames follow their own timestamps; a file without
    timing is read at `fps` (a manifest's column) or DEFAULT_FPS, and `Video.timing` says so. `crop` (x, y, width,
    height in source pixels) keeps only that part of each frame. Raises PhyslabError with one line naming the
    file: unreadable, no video, a codec this FFmpeg cannot decode (with the command that converts it), longer than
    `spec.max_seconds`, or fewer than `spec.min_frames` model frames.
    """
    path = Path(path)
    if not path.exists():
        raise PhyslabError(f"{path}: no such file")
    if path.is_dir():
        return _read_frame_folder(path, spec, fps, crop)
    if path.suffix.lower() == ".npz":
        return _read_npz(path, spec, fps, crop)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise PhyslabError(f"{path}: a single image, not a video (a folder of frames is read as one)")
    return _read_with_ffmpeg(path, spec, crop)


class _Sampler:
    """Keeps, of a stream of (start time, frame) arrivals, the frames on screen at the model's times, fitted to
    its size as they arrive: one pending frame is held until the next one's start says how long it stays."""

    def __init__(self, name: str, spec: ModelInput, crop: tuple | None = None):
        self.name, self.spec, self.crop = name, spec, crop
        self.frames: list[np.ndarray] = []
        self.index: list[int] = []
        self.starts: list[float] = []
        self.pending: tuple[int, float, Callable[[], np.ndarray]] | None = None

    def add(self, start: float, pixels: Callable[[], np.ndarray]) -> None:
        """A source frame that starts at `start` s; `pixels()` gives it (H, W, 3) uint8, called only if it is shown."""
        if self.starts:
            start = max(start, self.starts[-1])  # out-of-order stamps: the earlier frame is not shown at all
        if start >= self.spec.max_seconds:
            raise PhyslabError(_too_long(self.name, start, self.spec.max_seconds))
        if self.pending is not None:
            self._show(self.pending, start)
        self.pending = (len(self.starts), start, pixels)
        self.starts.append(start)

    def finish(self, end: float, timing: str, source_size: tuple[int, int]) -> Video:
        """The Video, once the last frame's end (its start plus its duration) is known."""
        if self.pending is None:
            raise PhyslabError(f"{self.name}: holds no frames")
        self._show(self.pending, max(end, self.pending[1] + 1e-6))
        if len(self.frames) < self.spec.min_frames:
            raise PhyslabError(
                f"{self.name}: too short for the model: {len(self.frames)} frames at {self.spec.fps:g} fps "
                f"({end:.2f} s); at least {self.spec.min_frames} ({self.spec.min_frames / self.spec.fps:.2f} s) are needed"
            )
        return Video(
            self.name,
            np.stack(self.frames),
            np.array(self.index, dtype=int),
            np.array(self.starts, dtype=float),
            self.spec.fps,
            timing,
            source_size,
        )

    def _show(self, pending: tuple[int, float, Callable[[], np.ndarray]], until: float) -> None:
        index, start, pixels = pending
        first = max(len(self.frames), _model_frames_before(start, self.spec.fps))
        last = _model_frames_before(min(until, self.spec.max_seconds), self.spec.fps)
        if last <= first:
            return
        fitted = fit_frame(_cropped(pixels(), self.crop, self.name), self.spec.size, self.spec.aspect)
        for _ in range(first, last):
            self.frames.append(fitted)
            self.index.append(index)


def _model_frames_before(seconds: float, fps: float) -> int:
    """How many model times k / fps come before `seconds` (a frame starting there is on screen from model frame
    this many on)."""
    return max(0, math.ceil((seconds - TIME_TOLERANCE) * fps))


def _cropped(frame: np.ndarray, crop: tuple | None, name: str) -> np.ndarray:
    if crop is None:
        return frame
    x, y, width, height = (int(round(v)) for v in crop)
    part = frame[max(0, y) : y + height, max(0, x) : x + width]
    if part.size == 0:
        raise PhyslabError(f"{name}: crop {crop} lies outside its {frame.shape[1]}x{frame.shape[0]} frames")
    return part


def _too_long(name: str, seconds: float, limit: float) -> str:
    return (
        f"{name}: at least {seconds:.1f} s long; physlab scores clips up to {limit:g} s (set max_seconds to change it): "
        f"trim it to the event first, e.g. ffmpeg -ss START -t {limit:g} -i {Path(name).name} -c:v libx264 trimmed.mp4"
    )


def _read_with_ffmpeg(path: Path, spec: ModelInput, crop: tuple | None) -> Video:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
        raise PhyslabError(f"{path}: not a video FFmpeg can read ({_reason(err)})") from None
    with container:
        if not container.streams.video:
            raise PhyslabError(f"{path}: holds no video stream")
        stream = container.streams.video[0]
        if stream.width * stream.height > 640 * 480:  # threads pay off on large frames; on small ones they cost 3x
            stream.thread_type = "AUTO"
        converter = VideoReformatter()  # one per clip: it keeps its scaler between frames (4x faster than a new one)
        _refuse_if_too_long(path, container, stream, spec.max_seconds)
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        sampler = _Sampler(str(path), spec, crop)
        first: float | None = None
        step = 1.0 / float(stream.guessed_rate or DEFAULT_FPS)
        duration, count, size, stopped, timed = step, 0, (stream.width, stream.height), None, False
        try:
            for frame in container.decode(stream):
                stamp = frame.time if frame.time is not None else count * step
                first = stamp if first is None else first
                size = (frame.width, frame.height) if frame.rotation % 180 == 0 else (frame.height, frame.width)
                gap = stamp - first - sampler.starts[-1] if count else step
                sampler.add(stamp - first, lambda frame=frame: _rgb(frame, spec, crop, converter))
                # The last frame stays for its own duration; where the file gives none, for the gap before it.
                own = float(frame.duration * stream.time_base) if frame.duration else None
                duration, timed = (own, True) if own else (gap if gap > 0 else duration, False)
                count += 1
        except av.error.FFmpegError as err:
            if count < spec.min_frames:
                raise PhyslabError(_undecodable(path, codec, err)) from None
            stopped = f"decoding stopped after {count} frames ({_reason(err)}); the frames before it are scored"
        if not count:
            raise PhyslabError(_undecodable(path, codec, None))
        end = sampler.starts[-1] + duration
        said = _said_duration(container, stream, first or 0.0)
        if not timed and said is not None and sampler.starts[-1] < said < end:
            end = said  # the header's end beats a guess from rounded stamps (WMV's milliseconds)
        video = sampler.finish(end, "timestamps", size)
        video.warning = stopped or _shorter_than_said(stream, end)
        return video


def _said_duration(container: av.container.InputContainer, stream: av.VideoStream, first: float) -> float | None:
    """How long the header says the clip is, from its first frame, in seconds (None where it does not say)."""
    if stream.duration is not None and stream.time_base is not None:
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        return float(stream.duration * stream.time_base) + start - first
    return None


def _shorter_than_said(stream: av.VideoStream, end: float) -> str | None:
    """A note when the decoded frames end well before the header's duration (a truncated download, say)."""
    if stream.duration is None or stream.time_base is None:
        return None
    said = float(stream.duration * stream.time_base)
    if end < 0.9 * said - 0.1:
        return f"its header says {said:.2f} s but its frames end at {end:.2f} s (a truncated file?); those frames are scored"
    return None


def _rgb(frame: av.VideoFrame, spec: ModelInput, crop: tuple | None, converter: VideoReformatter) -> np.ndarray:
    """The frame as (H, W, 3) RGB, upright as a player shows it; scaled by FFmpeg close to the model's size when no
    crop needs the full resolution (an eighth of the cost of converting a 1080p frame whole)."""
    turns = (frame.rotation // 90) % 4
    width, height = frame.width, frame.height
    if crop is None and turns % 2 == 0 and max(width, height) > 2 * spec.size:
        width, height = fitted_size(width, height, 2 * spec.size, spec.aspect)
    pixels = converter.reformat(frame, width=width, height=height, format="rgb24", interpolation="AREA").to_ndarray()
    return np.rot90(pixels, turns) if turns else pixels


def _refuse_if_too_long(path: Path, container: av.container.InputContainer, stream: av.VideoStream, limit: float) -> None:
    """Refuse, before decoding, a clip whose header says it runs past the limit (the decoder checks again)."""
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    if seconds is not None and seconds > limit:
        rate = float(stream.guessed_rate or 0)
        detail = f"{seconds:.1f} s of {stream.width}x{stream.height}" + (f" at {rate:g} fps" if rate else "")
        raise PhyslabError(
            f"{path}: {detail}; physlab scores clips up to {limit:g} s (set max_seconds to change it): trim it to the "
            f"event first, e.g. ffmpeg -ss START -t {limit:g} -i {path.name} -c:v libx264 trimmed.mp4"
        )


def _undecodable(path: Path, codec: str, err: Exception | None) -> str:
    reason = f" ({_reason(err)})" if err is not None else ""
    return (
        f"{path}: its {codec} video cannot be decoded here{reason}; convert it, e.g. "
        f"ffmpeg -i {path.name} -c:v libx264 -pix_fmt yuv420p {path.stem}_h264.mp4"
    )


def _reason(err: Exception) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return re.sub(r"\s*:\s*'[^']*'$", "", str(text)).splitlines()[0] if text else type(err).__name__


def _read_frame_folder(folder: Path, spec: ModelInput, fps: float | None, crop: tuple | None) -> Video:
    """A folder of image frames (IntPhys's `scene/` folders), in natural name order, shown at `fps` or DEFAULT_FPS."""
    images = sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    if not images:
        raise PhyslabError(f"{folder}: a folder with no image frames ({', '.join(IMAGE_SUFFIXES)} are read)")
    rate = fps or DEFAULT_FPS
    sampler = _Sampler(str(folder), spec, crop)
    size = (0, 0)
    for index, image in enumerate(images):
        sampler.add(index / rate, lambda image=image: _read_image(image))
    first = _read_image(images[0])
    size = (first.shape[1], first.shape[0])
    return sampler.finish(len(images) / rate, _assumed(fps, "folder"), size)


def _read_image(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        raise PhyslabError(f"{path}: not a readable image")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def _natural_key(path: Path) -> list:
    """scene_2.png before scene_10.png."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _assumed(fps: float | None, holder: str = "file") -> str:
    return f"fps {fps:g} from the manifest" if fps else f"no timing in the {holder}: assumed {DEFAULT_FPS:g} fps"


def _read_npz(path: Path, spec: ModelInput, fps: float | None, crop: tuple | None) -> Video:
    """An npz with `frames` (T, H, W[, 3|4]), uint8 or floats in 0..1, and an optional `fps`."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("frames.npy") as member:
            version = np.lib.format.read_magic(member)
            shape, _, dtype = np.lib.format._read_array_header(member, version)
        if int(np.prod(shape)) * np.dtype(dtype).itemsize > MAX_NPZ_BYTES:
            raise PhyslabError(f"{path}: its frames {shape} take more than {MAX_NPZ_BYTES / 1024**3:g} GB; split the clip")
        with np.load(path, allow_pickle=False) as data:
            frames = np.asarray(data["frames"])
            own_fps = float(data["fps"]) if "fps" in data else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise PhyslabError(f"{path}: not a readable npz video with a 'frames' array ({_reason(err)})") from None
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    if frames.ndim != 4 or frames.shape[-1] not in (3, 4):
        raise PhyslabError(f"{path}: 'frames' must be (T, H, W, 3), got shape {frames.shape}")
    rate = own_fps or fps or DEFAULT_FPS
    sampler = _Sampler(str(path), spec, crop)
    for index, frame in enumerate(_uint8_frames(frames)):
        sampler.add(index / rate, lambda frame=frame: frame)
    timing = "timestamps" if own_fps else _assumed(fps)
    return sampler.finish(len(frames) / rate, timing, (frames.shape[2], frames.shape[1]))


def _uint8_frames(frames: np.ndarray) -> Iterator[np.ndarray]:
    scale = 255.0 if frames.dtype != np.uint8 and float(frames.max(initial=0)) <= 1.0 else 1.0
    for frame in frames:
        rgb = frame[..., :3]
        yield rgb if rgb.dtype == np.uint8 else np.clip(rgb * scale, 0, 255).astype(np.uint8)
