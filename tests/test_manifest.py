"""Manifests as people save them, IntPhys-style sets, and sets where one clip is bad."""

import csv
import json
import shutil
import subprocess
import sys
import unicodedata

import numpy as np
import pytest
from conftest import TINY
from PIL import Image

from physlab.data.manifest import clip_path, read_manifest
from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.model import build_model, save_model
from physlab.scenes.families import load_families
from physlab.voe.surprise import evaluate


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    save_model(path, build_model(TINY))
    return str(path)


@pytest.fixture(scope="module")
def two_pairs(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    write_stimuli(out, load_families("inertia,gravity_drop", with_violations=True), 1, seed=3, size=32, progress=False)
    return out


def _rows(folder):
    with open(folder / "manifest.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _copy_with_manifest(source, target, text: str | bytes):
    shutil.copytree(source, target)
    (target / "manifest.csv").write_bytes(text if isinstance(text, bytes) else text.encode())
    return target


def _plain(two_pairs, columns=("clip", "pair", "label", "concept"), separator=",", space="", labels=None):
    lines = [(separator + space).join(columns)]
    for row in _rows(two_pairs):
        label = (labels or {}).get(row["label"], row["label"])
        lines.append((separator + space).join([row["clip"], row["pair"], label, row["concept"]]))
    return lines


@pytest.mark.parametrize(
    "kind",
    ["excel_bom_crlf", "semicolons", "spaces_after_commas", "tabs", "blank_trailing_rows", "capitalised_header", "windows_1252"],
)
def test_a_manifest_as_spreadsheets_save_it_is_read_as_the_plain_one(two_pairs, tmp_path, kind):
    lines = _plain(two_pairs)
    if kind == "excel_bom_crlf":
        text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    elif kind == "semicolons":
        text = "\r\n".join(_plain(two_pairs, separator=";")) + "\r\n"
    elif kind == "spaces_after_commas":
        text = "\n".join(_plain(two_pairs, space=" ")) + "\n"
    elif kind == "tabs":
        text = "\n".join(_plain(two_pairs, separator="\t")) + "\n"
    elif kind == "blank_trailing_rows":
        text = "\n".join(lines) + "\n,,,\n\n,,,\n"
    elif kind == "capitalised_header":
        text = "\n".join(["Clip,Pair,Label,Concept", *lines[1:]]) + "\n"
    else:
        text = "\n".join([*lines, ""]).encode("cp1252")
    rows = read_manifest(_copy_with_manifest(two_pairs, tmp_path / kind, text))
    assert [(r["clip"], r["pair"], r["label"], r["concept"]) for r in rows] == [
        (r["clip"], r["pair"], r["label"], r["concept"]) for r in _rows(two_pairs)
    ]


def test_a_windows_1252_manifest_finds_files_with_accented_names(two_pairs, tmp_path, tiny_model):
    folder = tmp_path / "accents"
    shutil.copytree(two_pairs, folder)
    rows = _rows(folder)
    renamed = "clips/café_possible.mp4"
    (folder / rows[0]["clip"]).rename(folder / renamed)
    rows[0]["clip"] = renamed
    text = "clip,pair,label,concept\n" + "".join(f"{r['clip']},{r['pair']},{r['label']},{r['concept']}\n" for r in rows)
    (folder / "manifest.csv").write_bytes(text.encode("cp1252"))
    result = evaluate(folder, tiny_model)
    assert result.summary["pairs"] == 2 and not result.errors


def test_names_in_another_unicode_normalisation_find_their_files(two_pairs, tmp_path):
    folder = tmp_path / "mac"
    shutil.copytree(two_pairs, folder)
    rows = _rows(folder)
    decomposed = unicodedata.normalize("NFD", "clips/Zoë_possible.mp4")  # as a Mac's zip stores it
    (folder / rows[0]["clip"]).rename(folder / decomposed)
    found = clip_path(folder, unicodedata.normalize("NFC", "clips/Zoë_possible.mp4"))
    assert found.exists() and found.name == decomposed.split("/")[1]


@pytest.mark.parametrize(("words", "accepted"), [(("plausible", "implausible"), True), (("Expected", "UNEXPECTED"), True),
                                                  (("Possible", "Impossible"), True), (("1", "0"), False)])  # fmt: skip
def test_label_synonyms_are_read_and_binary_labels_are_refused(two_pairs, tmp_path, words, accepted):
    labels = {"possible": words[0], "impossible": words[1]}
    folder = _copy_with_manifest(two_pairs, tmp_path / words[0], "\n".join(_plain(two_pairs, labels=labels)) + "\n")
    if accepted:
        assert {row["label"] for row in read_manifest(folder)} == {"possible", "impossible"}
    else:
        with pytest.raises(PhyslabError, match=r"manifest.csv: line 2: label '1' is not one physlab reads; use possible or"):
            read_manifest(folder)


def test_a_missing_column_names_the_columns_it_found(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,kind\na.mp4,possible\n")
    with pytest.raises(
        PhyslabError, match=r"missing column\(s\) clip, pair, label, concept \(its header line has 'file', 'kind'"
    ):
        read_manifest(tmp_path)


def test_utf16_is_read_and_text_without_its_byte_order_mark_names_the_fix(two_pairs, tmp_path):
    lines = _plain(two_pairs, separator="\t")  # Excel's "Unicode Text": UTF-16 with a mark, tab separated
    folder = _copy_with_manifest(two_pairs, tmp_path / "utf16", ("\r\n".join(lines) + "\r\n").encode("utf-16"))
    assert len(read_manifest(folder)) == 4
    (tmp_path / "manifest.csv").write_bytes("clip,pair,label,concept\n".encode("utf-16-le"))
    with pytest.raises(PhyslabError, match="NUL characters .* save it again as 'CSV UTF-8'"):
        read_manifest(tmp_path)


def test_symbolic_links_inside_the_set_are_read_and_paths_out_of_it_refused(two_pairs, tmp_path, tiny_model):
    scratch = tmp_path / "scratch"  # a lab's shared disk, outside the set
    shutil.copytree(two_pairs / "clips", scratch)
    folder = tmp_path / "linked"
    shutil.copytree(two_pairs, folder, ignore=shutil.ignore_patterns("clips"))
    (folder / "clips").symlink_to(scratch)
    result = evaluate(folder, tiny_model)
    assert result.summary["pairs"] == 2 and not result.errors
    rows = _rows(folder)
    rows[0]["clip"] = "../scratch/" + rows[0]["clip"].split("/")[-1]
    rows[2]["clip"] = str(scratch / rows[2]["clip"].split("/")[-1])
    with open(folder / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = evaluate(folder, tiny_model)
    assert result.summary["pairs"] == 0
    assert sum("points outside the set's folder" in error for error in result.errors) == 2


def test_a_quadruplet_counts_every_comparison_and_drops_no_clip(two_pairs, tmp_path, tiny_model):
    rows = _rows(two_pairs)
    text = "clip,pair,label,concept\n" + "".join(f"{r['clip']},scene_A,{r['label']},permanence\n" for r in rows)
    folder = _copy_with_manifest(two_pairs, tmp_path / "quad", text)
    result = evaluate(folder, tiny_model)
    summary = result.summary
    assert summary["pairs"] == 4 and summary["groups"] == 1 and summary["clips"] == 4
    scores = {row["clip"]: row["surprise"] for row in result.clips}
    possible = [scores[r["clip"]] for r in rows if r["label"] == "possible"]
    impossible = [scores[r["clip"]] for r in rows if r["label"] == "impossible"]
    wins = sum(i > p for p in possible for i in impossible)
    assert summary["pairwise_accuracy"] == wins / 4


def test_one_short_clip_never_stops_a_set(two_pairs, tmp_path, tiny_model):
    folder = tmp_path / "short"
    shutil.copytree(two_pairs, folder)
    np.savez(folder / "clips" / "snippet_possible.npz", frames=np.zeros((2, 32, 32, 3), np.uint8), fps=60.0)
    np.savez(folder / "clips" / "snippet_impossible.npz", frames=np.zeros((2, 32, 32, 3), np.uint8), fps=60.0)
    with open(folder / "manifest.csv", "a", newline="") as handle:
        handle.write("clips/snippet_possible.npz,slowmo,possible,gravity,,,,,,\n")
        handle.write("clips/snippet_impossible.npz,slowmo,impossible,gravity,,,,,,\n")
    result = evaluate(folder, tiny_model)
    assert result.summary["pairs"] == 2
    assert len(result.errors) == 2 and all("too short for the model" in error for error in result.errors)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "physlab",
            "evaluate",
            str(folder),
            "--model",
            tiny_model,
            "--quiet",
            "--json",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert [line for line in run.stderr.splitlines() if "error" in line] == [f"physlab: error: {e}" for e in result.errors]
    assert json.loads((tmp_path / "s.json").read_text())["pairs"] == 2


def _intphys_tree(root, frames=24):
    """IntPhys's dev layout: <block>/<scene>/<movie 1..4>/scene/*.png and a status.json per movie."""
    rng = np.random.default_rng(0)
    for movie, possible in ((1, True), (2, True), (3, False), (4, False)):
        scene = root / "O1" / "0001" / str(movie) / "scene"
        scene.mkdir(parents=True)
        for index in range(frames):
            Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(scene / f"scene_{index + 1:03d}.png")
        (scene.parent / "status.json").write_text(json.dumps({"header": {"is_possible": possible}, "frames": []}))
    return root


def test_an_intphys_tree_is_read_without_a_manifest(tmp_path, tiny_model):
    tree = _intphys_tree(tmp_path / "dev")
    rows = read_manifest(tree)
    assert [(r["clip"], r["pair"], r["label"], r["concept"]) for r in rows][:1] == [
        ("O1/0001/1/scene", "O1/0001", "possible", "permanence")
    ]
    result = evaluate(tree, tiny_model)
    assert result.summary["pairs"] == 4 and result.summary["groups"] == 1 and not result.errors
    assert result.notes == [
        "4 clip(s) (O1/0001/1/scene, O1/0001/2/scene, O1/0001/3/scene and 1 more): no timing in the folder: assumed 24 fps"
    ]


def test_a_manifest_fps_column_times_clips_that_have_none(tmp_path, tiny_model):
    tree = _intphys_tree(tmp_path / "dev", frames=24)
    rows = read_manifest(tree)
    lines = ["clip,pair,label,concept,fps", *(f"{r['clip']},{r['pair']},{r['label']},{r['concept']},12" for r in rows)]
    (tree / "manifest.csv").write_text("\n".join(lines) + "\n")
    result = evaluate(tree, tiny_model)
    assert all(len(curve.values) == 24 for curve in result.curves.values())  # 2 s at 12 fps, not 1 s at 24
    assert result.notes and "fps 12 from the manifest" in result.notes[0]
