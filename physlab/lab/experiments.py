"""Scripted surprise experiments: a YAML file in, tables, plots and a report out.

An experiment names its stimulus sets (families, seeds and pair counts, or a folder), its
models (bundled names, model files, or a training run to make and evaluate at checkpoints),
the measures and the plots. `run_experiment` makes what is missing and reuses what an earlier
run of the same file already finished: stimuli and training resume, and each evaluation is
kept in `evaluations/`.

    from physlab.lab.experiments import run_experiment
    result = run_experiment("experiments/core_knowledge.yaml", "results/core_knowledge")
    result.summary["results"][0]["summary"]["pairwise_accuracy"]
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from physlab.errors import PhyslabError, describe_validation
from physlab.files import atomic_path, exclusive_folder, read_validated_yaml, write_csv, write_json
from physlab.model import load_model
from physlab.model.checkpoint import model_file
from physlab.progress import progress_bar
from physlab.scenes.families import load_families
from physlab.voe.metrics import interval_columns, pair_wins, paired_difference
from physlab.voe.surprise import DEFAULT_POOL, POOLS, SurpriseCurve, evaluate

MEASURES = ("pairwise_accuracy", "auroc", "peak_delay")
# Bumped when evaluate's scoring changes, so that kept evaluations made the old way are redone:
# 2 = real timestamps, min_context, every possible x impossible comparison, ties count as misses.
EVALUATION_VERSION = 2
PLOTS = ("accuracy_by_concept", "auroc_by_concept", "aligned_curves", "timing", "development")
Progress = Callable[[str, float], None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StimulusSpec(_Strict):
    """A stimulus set: pairs made from families and seeds, or a folder someone already made."""

    name: str | None = None
    families: list[str] | None = None
    pairs: int = Field(10, ge=1)
    seed: int = Field(100_000, ge=0)
    size: int = Field(64, ge=16)
    folder: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> StimulusSpec:
        if self.folder is not None and self.families is not None:
            raise ValueError("give either families (to make pairs) or folder (an existing set), not both")
        if self.folder is None and self.name is not None and "/" in self.name:
            raise ValueError(f"name {self.name!r} must not contain '/'")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.folder is not None:
            return Path(self.folder).name
        return "-".join(self.families) if self.families and len(self.families) <= 2 else "all_families"


class TrainingSpec(_Strict):
    """A model trained from scratch inside the experiment, evaluated at several checkpoints."""

    clips: int = Field(800, ge=1, description="possible training clips to generate")
    data_seed: int = Field(0, ge=0)
    preset: str = "small"
    steps: int | None = Field(None, ge=1)
    checkpoints: int = Field(6, ge=1, description="evaluate this many checkpoints, evenly spaced")
    config: dict[str, Any] = Field(default_factory=dict, description="overrides of the preset's training config")


class ModelSpec(_Strict):
    """A model under test: `model` (a bundled name or a model file) or `train` (a run to make)."""

    name: str
    model: str | None = None
    train: TrainingSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        if isinstance(value, str):  # `- jepa` is short for `- {name: jepa, model: jepa}`
            return {"name": value, "model": value}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        if (self.model is None) == (self.train is None):
            raise ValueError(f"model {self.name!r} needs exactly one of 'model' (bundled name or file) or 'train'")
        if "/" in self.name:
            raise ValueError(f"name {self.name!r} must not contain '/'")
        return self


class Experiment(_Strict):
    name: str
    description: str = ""
    stimuli: list[StimulusSpec] = Field(min_length=1)
    models: list[ModelSpec] = Field(min_length=1)
    measures: list[Literal[MEASURES]] = list(MEASURES)  # type: ignore[valid-type]
    plots: list[Literal[PLOTS]] = ["accuracy_by_concept"]  # type: ignore[valid-type]
    pool: Literal[POOLS] = DEFAULT_POOL  # type: ignore[valid-type]
    threshold: float = Field(0.8, gt=0, le=1, description="accuracy at which a concept counts as acquired")
    source: str = Field("", exclude=True)

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique, got {names}")
        return models

    @field_validator("name")
    @classmethod
    def _folder_name(cls, name: str) -> str:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"name {name!r} names the results folder: no '/', and it must not start with '.'")
        return name

    @field_validator("stimuli")
    @classmethod
    def _unique_sets(cls, stimuli: list[StimulusSpec]) -> list[StimulusSpec]:
        labels = [spec.label for spec in stimuli]
        if len(set(labels)) != len(labels) or any(label in ("", ".", "..") for label in labels):
            raise ValueError(f"stimulus sets need distinct names (give each a 'name'); got {labels}")
        return stimuli

    @model_validator(mode="after")
    def _development_needs_training(self) -> Experiment:
        if "development" in self.plots and not any(m.train for m in self.models):
            raise ValueError("the development plot needs a model with 'train' (checkpoints at growing experience)")
        for spec in self.models:
            if spec.train is not None:
                try:
                    training_config(spec.train)
                except PhyslabError as err:
                    raise ValueError(f"model {spec.name!r}: {err}") from None
        return self


def training_config(plan: TrainingSpec):
    """The training config a `train:` entry asks for: its preset, with its overrides, checked."""
    from physlab.model import load_train_config
    from physlab.model.config import TrainConfig, merge_config

    config = load_train_config(preset=plan.preset)
    overrides = {**plan.config, **({"steps": plan.steps} if plan.steps else {})}
    try:
        config = TrainConfig.model_validate(merge_config(config.model_dump(), overrides))
    except ValidationError as err:
        raise PhyslabError(describe_validation(err, prefix="train.config.")) from None
    return config.model_copy(update={"snapshot_every": max(1, math.ceil(config.steps / plan.checkpoints))})


@dataclass
class ExperimentResult:
    out: Path
    summary: dict
    report: Path


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; errors name the file and the field."""
    return read_validated_yaml(Path(path), "an experiment", Experiment, hidden=lambda part: part.startswith("function-"))


def run_experiment(
    experiment: Experiment | str | Path,
    out: str | Path | None = None,
    *,
    progress: bool = True,
    on_progress: Progress | None = None,
) -> ExperimentResult:
    """Run every (model, checkpoint, set) evaluation the file asks for, then write tables, plots and the report."""
    experiment = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    out = Path(out) if out is not None else Path("results") / experiment.name
    report = on_progress or (lambda message, fraction: None)
    with exclusive_folder(out):
        write_json(out / "experiment.json", experiment.model_dump())
        sets, errors = {}, []
        for i, spec in enumerate(experiment.stimuli):
            report(f"stimuli: {spec.label}", i / (len(experiment.stimuli) + 1) * 0.2)
            sets[spec.label], missing = _stimulus_set(spec, experiment, out, progress)
            errors.extend(missing)
        checkpoints = []
        for spec in experiment.models:
            report(f"model: {spec.name}", 0.2)
            checkpoints.extend(_checkpoints(spec, out, experiment.source, progress))
        results, clip_rows = [], []
        jobs = [(c, label, folder) for c in checkpoints for label, folder in sets.items()]
        for done, (checkpoint, label, folder) in enumerate(jobs):
            what = f"scoring {label} with {checkpoint['model']} {checkpoint['checkpoint']}"
            report(what, 0.3 + 0.6 * done / len(jobs))

            def scored(clips: int, total: int, what: str = what, done: int = done) -> None:
                report(f"{what}: {clips}/{total} clips", 0.3 + 0.6 * (done + clips / max(total, 1)) / len(jobs))

            summary, rows = _evaluation(checkpoint, label, folder, experiment.pool, out, progress, scored)
            results.append(
                {**{k: checkpoint[k] for k in ("model", "checkpoint", "clips_seen")}, "set": label, "summary": summary}
            )
            clip_rows.extend(
                {"model": checkpoint["model"], "checkpoint": checkpoint["checkpoint"], "set": label, **r} for r in rows
            )
        report("plots and report", 0.9)
        errors.extend(e for r in results for e in r["summary"]["errors"])
        summary = _write_results(experiment, out, results, clip_rows, errors)
        report("done", 1.0)
    return ExperimentResult(out, summary, out / "report.md")


def _stimulus_set(spec: StimulusSpec, experiment: Experiment, out: Path, progress: bool) -> tuple[Path, list[str]]:
    if spec.folder is not None:
        folder = Path(spec.folder)
        folder = folder if folder.is_absolute() else Path(experiment.source).parent / folder
        if not (folder / "manifest.csv").exists():
            raise PhyslabError(f"{experiment.source}: stimuli folder {folder} has no manifest.csv")
        return folder, []
    from physlab.data.stimuli import write_stimuli
    from physlab.scenes.clips import PAIR_DRAWS

    families = load_families(",".join(spec.families) if spec.families else None, with_violations=True)
    # The folder is named for everything that makes the pairs, so an edited file never reuses stale ones.
    folder = out / "stimuli" / f"{spec.label}_{_digest([spec.model_dump(), PAIR_DRAWS])}"
    result = write_stimuli(folder, families, spec.pairs, seed=spec.seed, size=spec.size, workers=2, progress=progress)
    if result.errors and not (folder / "manifest.csv").exists():
        raise PhyslabError(result.errors[0])
    # A seed whose scene cannot show its violation costs one pair, not the experiment.
    return folder, result.errors


def _checkpoints(spec: ModelSpec, out: Path, source: str, progress: bool) -> list[dict]:
    """What to evaluate for a model: itself, or the snapshots of a run trained here."""
    if spec.train is None:
        return [{"model": spec.name, "checkpoint": "final", "clips_seen": None, "path": _model_path(spec.model, source)}]
    from physlab.data.shards import write_training_set
    from physlab.model.checkpoint import model_info
    from physlab.train.loop import train

    plan = spec.train
    config = training_config(plan)
    data = out / "training_data" / f"{plan.clips}_{plan.data_seed}"
    run = out / "runs" / f"{spec.name}_{_digest([config.model_dump(), str(data)])}"
    finished = (run / "model.safetensors").exists() and model_info(run / "model.safetensors").get("step") == config.steps
    if not finished:  # a finished run is not loaded again just to find there is nothing left to do
        write_training_set(data, load_families(), plan.clips, seed=plan.data_seed, size=64, workers=2, progress=progress)
        train(data, run, config, resume=(run / "state.safetensors").exists(), progress=progress)
    found = []
    for path in sorted((run / "snapshots").glob("step_*.safetensors")):
        step = int(path.stem.removeprefix("step_"))
        found.append(
            {"model": spec.name, "checkpoint": f"step {step}", "clips_seen": step * config.batch_size, "path": str(path)}
        )
    if not found or found[-1]["checkpoint"] != f"step {config.steps}":
        final = {"checkpoint": f"step {config.steps}", "clips_seen": config.steps * config.batch_size}
        found.append({"model": spec.name, **final, "path": str(run / "model.safetensors")})
    return found


def _evaluation(
    checkpoint: dict,
    label: str,
    folder: Path,
    pool: str,
    out: Path,
    progress: bool = False,
    on_clips: Callable[[int, int], None] | None = None,
) -> tuple[dict, list[dict]]:
    """One evaluation, kept on disk so that a run started again skips it; scoring shows a bar of clips
    (`progress`) and calls `on_clips(scored, total)` as it goes."""
    path = model_file(checkpoint["path"])  # a bundled name stands for its file, which an update replaces
    stamp = _file_digest(path) if path is not None and path.exists() else ""
    manifest = (folder / "manifest.csv").read_bytes().decode(errors="replace")
    # A changed model, set, pooling or way of scoring (EVALUATION_VERSION) is a new evaluation.
    digest = _digest([str(path), stamp, manifest, pool, EVALUATION_VERSION])
    name = f"{checkpoint['model']}__{checkpoint['checkpoint'].replace(' ', '_')}__{label}__{digest}.json"
    cache = out / "evaluations" / name
    if cache.exists():
        saved = json.loads(cache.read_text())
        return saved["summary"], saved["clips"]
    what = f"scoring {label} ({checkpoint['model']} {checkpoint['checkpoint']})"
    with progress_bar(desc=what, unit="clip", disable=not progress) as bar:

        def moved(stage: str, done: int, total: int) -> None:
            if stage == "scoring":
                bar.total = total
                bar.update(done - bar.n)
                if on_clips is not None:
                    on_clips(done, total)

        result = evaluate(folder, load_model(checkpoint["path"]), pool=pool, on_progress=moved)
    rows = [{**row, "curve": _curve_values(result.curves[row["clip"]])} for row in result.clips]
    write_json(cache, {"summary": result.summary, "clips": rows})
    return result.summary, rows


def _model_path(model: str, source: str) -> str:
    """Bundled names as they are; a relative model file is relative to the experiment file, like `folder`."""
    from physlab.model import BUNDLED

    if model in BUNDLED or Path(model).is_absolute() or not source:
        return model
    return str(Path(source).parent / model)


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _curve_values(curve: SurpriseCurve) -> dict:
    values = [None if np.isnan(v) else float(v) for v in curve.values]
    times = None if curve.source_times is None else curve.source_times.tolist()
    return {"frames": curve.frames.tolist(), "values": values, "fps": curve.fps, "source_times": times}


def _write_results(experiment: Experiment, out: Path, results: list[dict], clip_rows: list[dict], errors: list[str]) -> dict:
    table = _concept_table(results, experiment)
    acquisition = _acquisition(results, experiment.threshold)
    paired = _paired(results, clip_rows)
    summary = {
        "experiment": experiment.name,
        "file": experiment.source,
        "results": results,
        "paired": paired,
        "acquisition": acquisition,
        "errors": sorted(set(errors)),
    }
    write_csv(out / "clips.csv", [{k: v for k, v in row.items() if k != "curve"} for row in clip_rows])
    write_csv(out / "table.csv", table)
    shutil.rmtree(out / "plots", ignore_errors=True)  # no picture from an earlier run of another file
    figures = []
    for kind in experiment.plots:
        figures.extend(_draw(kind, out / "plots", results, clip_rows, experiment))
    _write_report(experiment, out, table, paired, acquisition, figures, sorted(set(errors)))
    write_json(out / "summary.json", summary)  # last: a folder with a summary is a finished run
    return summary


def _draw(kind: str, folder: Path, results: list[dict], clip_rows: list[dict], experiment: Experiment) -> list[tuple[str, str]]:
    """Draw one kind of plot (PNG and SVG); returns (title, PNG path relative to the run) of each drawn."""
    from physlab.voe import plots

    drawn = []
    for title, stem, draw in _figures(kind, _final_results(results), results, clip_rows, experiment, plots):
        for suffix in ("png", "svg"):
            draw(folder / f"{stem}.{suffix}")
        if (folder / f"{stem}.png").exists():
            drawn.append((title, f"plots/{stem}.png"))
    return drawn


def _figures(kind, finals, results, clip_rows, experiment, plots):
    """(title, file stem, draw(path)) for each figure of a kind."""
    if kind in ("accuracy_by_concept", "auroc_by_concept"):
        metric = "pairwise_accuracy" if kind == "accuracy_by_concept" else "auroc"
        named = {_key(r): r["summary"] for r in finals}
        title = "Pairwise accuracy by concept" if metric == "pairwise_accuracy" else "AUROC by concept"
        yield title, kind, lambda path: plots.plot_accuracy_by_concept(named, path, metric)
    elif kind == "aligned_curves":
        for r in finals:
            keep = (r["model"], r["checkpoint"], r["set"])
            rows = [row for row in clip_rows if (row["model"], row["checkpoint"], row["set"]) == keep]
            curves = {row["clip"]: _curve(row) for row in rows}
            title = f"Surprise aligned on the onset: {_key(r)}"
            yield (
                title,
                f"aligned_curves_{r['model']}_{r['set']}",
                lambda path, rows=rows, curves=curves: plots.plot_aligned_curves(rows, curves, path),
            )
    elif kind == "timing":
        chosen = {(r["model"], r["checkpoint"]) for r in finals}
        delays: dict[str, dict[str, list[float]]] = {}
        for row in clip_rows:
            if (row["model"], row["checkpoint"]) in chosen and row["label"] == "impossible" and row["peak_delay_s"] is not None:
                delays.setdefault(row["model"], {}).setdefault(row["concept"], []).append(row["peak_delay_s"])
        if delays:
            yield "Delay from the violation onset to the surprise peak", "timing", lambda path: plots.plot_timing(delays, path)
    elif kind == "development":
        for model, label in dict.fromkeys((r["model"], r["set"]) for r in results if r["clips_seen"] is not None):
            points: dict[str, list[tuple[int, float]]] = {}
            for r in (r for r in results if (r["model"], r["set"]) == (model, label)):
                for concept, metrics in r["summary"]["per_concept"].items():
                    if metrics["pairwise_accuracy"] is not None:
                        points.setdefault(concept, []).append((r["clips_seen"], metrics["pairwise_accuracy"]))
            yield (
                f"Development: {model} · {label}",
                f"development_{model}_{label}",
                lambda path, p=points: plots.plot_development(p, path, experiment.threshold),
            )


def _key(result: dict) -> str:
    return f"{result['model']} · {result['set']}"


def _curve(row: dict) -> SurpriseCurve:
    values = np.array([np.nan if v is None else v for v in row["curve"]["values"]], dtype=float)
    times = row["curve"].get("source_times")
    return SurpriseCurve(
        row["clip"],
        values,
        np.array(row["curve"]["frames"]),
        row["curve"]["fps"],
        source_times=None if times is None else np.array(times),
    )


def _final_results(results: list[dict]) -> list[dict]:
    """Per (model, set), the last checkpoint: what a table of models compares."""
    last: dict[tuple[str, str], dict] = {}
    for r in results:
        key = (r["model"], r["set"])
        if key not in last or (r["clips_seen"] or 0) >= (last[key]["clips_seen"] or 0):
            last[key] = r
    return list(last.values())


def _concept_table(results: list[dict], experiment: Experiment) -> list[dict]:
    rows = []
    for r in results:
        per_concept = [*r["summary"]["per_concept"].items(), ("overall", r["summary"])]
        for concept, metrics in per_concept:
            row = {"model": r["model"], "checkpoint": r["checkpoint"], "clips_seen": r["clips_seen"], "set": r["set"]}
            row |= {"concept": concept, "pairs": metrics["pairs"]}
            if "pairwise_accuracy" in experiment.measures:
                row["pairwise_accuracy"] = metrics["pairwise_accuracy"]
                row |= interval_columns(metrics)
            if "auroc" in experiment.measures:
                row["auroc"] = metrics["auroc"]
            if "peak_delay" in experiment.measures:
                row["peak_delay_median_s"] = _median_delay(r["summary"], concept)
            rows.append(row)
    return rows


def _paired(results: list[dict], clip_rows: list[dict]) -> list[dict]:
    """On each set, every model's last checkpoint against the first model's, pair by pair on the same pairs
    (`paired_difference`): two models' separate intervals overlap long after one is better on the same pairs."""
    finals = _final_results(results)
    wins: dict[tuple[str, str], dict[str, float]] = {}
    for r in finals:
        rows = [
            row for row in clip_rows if (row["model"], row["checkpoint"], row["set"]) == (r["model"], r["checkpoint"], r["set"])
        ]
        wins[r["model"], r["set"]] = pair_wins(rows)
    first = finals[0]["model"] if finals else None
    paired = []
    for r in finals:
        if r["model"] == first or not wins[r["model"], r["set"]] or not wins.get((first, r["set"])):  # nothing to pair
            continue
        difference = paired_difference(wins[first, r["set"]], wins[r["model"], r["set"]])
        paired.append({"model": r["model"], "against": first, "set": r["set"], **difference})
    return paired


def _median_delay(summary: dict, concept: str) -> float | None:
    if concept == "overall":
        return summary["peak_delay_s"]["median"]
    return summary["per_concept"][concept].get("peak_delay_s")


def _acquisition(results: list[dict], threshold: float) -> dict:
    """Per trained model and set: each concept's first checkpoint (clips seen) at or above the threshold."""
    found: dict[str, dict[str, int | None]] = {}
    for r in sorted((r for r in results if r["clips_seen"] is not None), key=lambda r: r["clips_seen"]):
        key = f"{r['model']} · {r['set']}"
        ages = found.setdefault(key, {})
        for concept, metrics in r["summary"]["per_concept"].items():
            ages.setdefault(concept, None)
            accuracy = metrics["pairwise_accuracy"]
            if ages[concept] is None and accuracy is not None and accuracy >= threshold:
                ages[concept] = r["clips_seen"]
    return found


def _write_report(
    experiment: Experiment,
    out: Path,
    table: list[dict],
    paired: list[dict],
    acquisition: dict,
    figures: list,
    errors: list[str],
) -> None:
    lines = [f"# {experiment.name}", "", experiment.description.strip(), ""]
    finals = [row for row in table if row["concept"] == "overall"]
    lines += ["## Overall", "", *_markdown(finals), ""]
    if paired:
        lines += [f"## Paired with {paired[0]['against']}, on the same pairs", ""]
        lines += [
            "The difference in pairwise accuracy, its 95% bootstrap interval over pair ids, the pairs each model wins "
            "where the other does not, and the exact sign test's p (McNemar's).",
            "",
        ]
        rows = [
            {
                "model": p["model"],
                "set": p["set"],
                "difference": p["difference"],
                "95% interval": f"{p['interval'][0]:+.3f} to {p['interval'][1]:+.3f}",
                "better / worse pairs": f"{p['better']} / {p['worse']}",
                "p": f"{p['p_value']:.2g}",
            }
            for p in paired
        ]
        lines += [*_markdown(rows), ""]
    lines += ["## By concept", "", *_markdown([row for row in table if row["concept"] != "overall"]), ""]
    if acquisition:
        lines += [f"## Age of acquisition (first checkpoint at accuracy >= {experiment.threshold})", ""]
        for key, ages in acquisition.items():
            lines.append(f"**{key}**")
            lines.append("")
            rows = [{"concept": c, "clips seen": "not acquired" if a is None else a} for c, a in sorted(ages.items())]
            lines += [*_markdown(rows), ""]
    for kind, path in figures:
        lines += [f"## {kind[:1].upper()}{kind[1:]}", "", f"![{kind}]({path})", ""]
    if errors:
        lines += ["## Left out", "", *[f"- {error}" for error in errors], ""]
    lines += ["Files: `summary.json`, `table.csv`, `clips.csv`, `plots/` (PNG and SVG).", ""]
    with atomic_path(out / "report.md") as temp:
        temp.write_text("\n".join(lines))


def _markdown(rows: list[dict]) -> list[str]:
    if not rows:
        return ["(none)"]
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return lines


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
