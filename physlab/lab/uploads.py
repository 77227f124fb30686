"""Scoring what people bring: loose video files, or a stimulus set packed as a zip.

Uploads arrive as bytes with a file name. Each video is scored on its own terms (a bad one is
reported and the others still scored), and a zip is unpacked safely (no paths outside the
folder, a cap on the unpacked size) before the usual `evaluate`.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from physlab.data.video import read_video
from physlab.errors import PhyslabError
from physlab.model import WorldModel
from physlab.voe.surprise import DEFAULT_CROP, Evaluation, SurpriseCurve, evaluate, model_input, score_videos

MAX_UNPACKED_BYTES = 2 * 1024**3


def score_files(
    files: list[tuple[str, bytes]], model: WorldModel, aspect: str = "letterbox"
) -> tuple[list[SurpriseCurve], list[str]]:
    """Surprise curves of uploaded videos (name, bytes), and one error line per file that failed (named as uploaded)."""
    spec = model_input(model.config, aspect)
    videos, errors = [], []
    with tempfile.TemporaryDirectory(prefix="physlab-upload-") as temp:
        for index, (name, data) in enumerate(files):
            # The suffix helps FFmpeg pick the format (and npz is read by numpy); the index keeps names apart.
            path = Path(temp) / f"{index:04d}{PurePosixPath(name).suffix.lower()}"
            path.write_bytes(data)
            try:
                video = read_video(path, spec)
            except PhyslabError as err:
                errors.append(str(err).replace(str(path), name))
                continue
            video.name = name
            videos.append(video)
    curves = score_videos(model, videos, aspect=aspect) if videos else []
    return curves, errors


def unpack_stimulus_set(data: bytes, into: str | Path, name: str = "upload.zip") -> Path:
    """Unpack a zipped stimulus set into `into`; returns the folder that holds its manifest.csv."""
    into = Path(into)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PhyslabError(f"{name}: not a zip file") from None
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise PhyslabError(f"{name}: unpacks to more than {MAX_UNPACKED_BYTES // 1024**3} GB")
        for member in members:
            parts = PurePosixPath(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise PhyslabError(f"{name}: member {member.filename!r} points outside the set")
        try:
            archive.extractall(into)
        except (zipfile.BadZipFile, OSError) as err:
            raise PhyslabError(f"{name}: cannot unpack ({err})") from None
    manifests = sorted(into.rglob("manifest.csv"), key=lambda path: len(path.parts))
    if manifests:
        return manifests[0].parent
    statuses = sorted(into.rglob("status.json"), key=lambda path: len(path.parts))
    if statuses and len(statuses[0].relative_to(into).parts) >= 3:  # <block>/<scene>/<movie>/status.json
        return statuses[0].parents[2]
    raise PhyslabError(f"{name}: holds no manifest.csv (a stimulus set lists its clips in one) and no IntPhys tree")


def evaluate_zip(data: bytes, model: WorldModel, name: str = "upload.zip", crop: str = DEFAULT_CROP) -> Evaluation:
    """Evaluate a zipped stimulus set (`crop` as `physlab.voe.surprise.evaluate` takes it); unpacked into a
    temporary folder that is removed after. Errors name the upload and the path inside it ("set.zip:
    set/manifest.csv: ..."), not the temporary folder."""
    with tempfile.TemporaryDirectory(prefix="physlab-set-") as temp:
        inside = f"{Path(temp).resolve()}/"
        try:
            folder = unpack_stimulus_set(data, temp, name)
            evaluation = evaluate(folder, model, crop=crop)
        except PhyslabError as err:
            raise PhyslabError(str(err).replace(inside, f"{name}: ")) from None
    evaluation.errors[:] = [error.replace(inside, f"{name}: ") for error in evaluation.errors]
    evaluation.notes[:] = [note.replace(inside, f"{name}: ") for note in evaluation.notes]
    evaluation.summary["errors"] = evaluation.errors
    evaluation.summary["notes"] = evaluation.notes
    return evaluation
