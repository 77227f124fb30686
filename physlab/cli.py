"""The `physlab` command: thin subcommands over the Python API."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from physlab.data.shards import parse_shard, write_training_set
from physlab.data.stimuli import SetReport, write_stimuli
from physlab.data.video import ASPECT_MODES, DEFAULT_FPS, MAX_SECONDS
from physlab.errors import PhyslabError
from physlab.files import write_csv, write_json
from physlab.model.config import PRESETS
from physlab.scenes.families import load_families
from physlab.voe.surprise import CROPS, DEFAULT_CROP, DEFAULT_POOL, POOLS


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; user errors print one line on stderr and return non-zero."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = args.run(args)
        sys.stdout.flush()  # a reader that went away shows here, not in the interpreter's last flush
        return status
    except PhyslabError as err:
        print(f"physlab: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `physlab looks | head`: the reader has what it wanted; say nothing, as cat does
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool the pipe ended
    except OSError as err:  # a folder that is a file, a full disk, no permission
        print(f"physlab: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("physlab: interrupted; run the same command again to finish", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not meet the closed pipe again (Python's
    documentation, "Note on SIGPIPE")."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):  # a stdout with no descriptor (a test's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="physlab", description="An intuitive-physics lab: scenes, world models, surprise.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    families = commands.add_parser("families", help="list the scene families")
    families.add_argument("--scenes", help="comma-separated family names or YAML paths (default: all bundled)")
    families.set_defaults(run=_families)

    looks = commands.add_parser("looks", help="list the bundled looks (how scenes are filmed: docs/looks.md)")
    looks.set_defaults(run=_looks)

    stimuli = commands.add_parser("stimuli", help="write a stimulus set of matched possible/impossible pairs")
    stimuli.add_argument("out", help="output folder")
    stimuli.add_argument(
        "--pairs", type=_positive, required=True, help="pairs per family (with --actions: per violation of the world)"
    )
    _common(stimuli, size=128)
    stimuli.add_argument("--actions", action="store_true", help="pairs whose actions have impossible outcomes, in a --world")
    stimuli.add_argument("--world", help="with --actions: two_rooms, push, push_t, or a world YAML file")
    stimuli.set_defaults(run=_stimuli)

    generate = commands.add_parser("generate", help="write training data: possible events only, in shards")
    generate.add_argument("out", help="output folder")
    generate.add_argument("--clips", type=_positive, help="number of clips (required without --actions)")
    generate.add_argument("--shard", default="0/1", help="make only part i of N of the shards (i/N), for clusters")
    generate.add_argument("--shard-size", type=_positive, default=32, help="clips per shard file (default 32)")
    _common(generate, size=64)
    generate.add_argument("--actions", action="store_true", help="episodes with actions in a --world, for planning")
    generate.add_argument("--world", help="with --actions: two_rooms, push, push_t, or a world YAML file")
    generate.add_argument("--episodes", type=_positive, help="with --actions: number of episodes")
    generate.add_argument("--steps", type=_positive, default=100, help="with --actions: env steps per episode (default 100)")
    generate.set_defaults(run=_generate)

    train = commands.add_parser("train", help="train a world model on possible events (torchrun for several processes)")
    train.add_argument(
        "--data",
        nargs="+",
        metavar="FOLDER",
        help="training folder made by `physlab generate`, or several to train on together (with --resume: the run's own)",
    )
    train.add_argument("--out", required=True, help="run folder for checkpoints and the metrics log")
    train.add_argument("--config", help="YAML training config (overrides the preset)")
    train.add_argument(
        "--preset",
        help=f"named config: {', '.join(PRESETS)} (default: default; with --resume: the run's own); on episodes with "
        "actions: plan_two_rooms, plan_push, plan_push_t, plan_pixel, plan_tiny (default: the data's world's)",
    )
    train.add_argument("--steps", type=_positive, help="override the number of steps (with --resume: go on to this step)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out with its own config and data")
    train.add_argument("--init", help="start from this model's weights (model file or bundled name): fine-tuning")
    train.add_argument(
        "--seed", type=_integer, help="override the config's seed (initial weights and batches): another run of one recipe"
    )
    train.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to train (default: a GPU when there is one)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    score = commands.add_parser("score", help="per-frame surprise of any videos or frame folders")
    score.add_argument("videos", nargs="+", help="video files (any FFmpeg reads), frame folders or npz")
    score.add_argument(
        "--model",
        help="model file or bundled name: jepa (default), pixel, untrained; plan_two_rooms, plan_push (with actions)",
    )
    score.add_argument("--csv", help="write the per-frame curves here")
    score.add_argument("--plot", help="draw the curves here (.png or .svg)")
    _reading(score)
    score.add_argument("--fps", type=_positive_float, help=f"frame rate of files with no timing (default {DEFAULT_FPS:g})")
    score.set_defaults(run=_score)

    evaluate = commands.add_parser("evaluate", help="pairwise accuracy and AUROC of a model on a stimulus set")
    evaluate.add_argument("set", help="stimulus set folder (manifest.csv + clips), or an IntPhys-layout tree")
    evaluate.add_argument(
        "--model",
        help="model file or bundled name: jepa (default), pixel, untrained; plan_two_rooms, plan_push (with actions)",
    )
    evaluate.add_argument(
        "--pool", choices=POOLS, default=DEFAULT_POOL, help=f"clip surprise over time (default {DEFAULT_POOL}); all are reported"
    )
    _reading(evaluate)
    evaluate.add_argument(
        "--crop",
        choices=CROPS,
        default=DEFAULT_CROP,
        help="motion: crop each pair without a manifest crop to where its twins move (small events in wide views)",
    )
    evaluate.add_argument("--json", help="write the summary here")
    evaluate.add_argument("--csv", help="write one row per clip here")
    evaluate.add_argument("--plots", help="folder for the plots")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bar")
    evaluate.set_defaults(run=_evaluate)

    visibility = commands.add_parser(
        "visibility", help="how far a model's representation puts each pair's twins apart, against pixels"
    )
    visibility.add_argument("set", help="stimulus set folder (manifest.csv + clips)")
    visibility.add_argument(
        "--model",
        help="model file or bundled name: jepa (default), pixel, untrained; plan_two_rooms, plan_push (with actions)",
    )
    visibility.add_argument("--by", choices=["violation", "concept"], default="violation", help="rows of the table")
    visibility.add_argument("--json", help="write the summary and every pair's numbers here")
    visibility.add_argument("--plot", help="write a bar chart here (png or svg)")
    visibility.set_defaults(run=_visibility)

    plan = commands.add_parser("plan", help="reach goal pictures by planning with an action-conditioned world model")
    plan.add_argument("--world", required=True, help="two_rooms, push, push_t, or a world YAML file")
    plan.add_argument("--episodes", type=_positive, default=50, help="held-out start/goal pairs (default 50)")
    plan.add_argument("--seed", type=_non_negative, default=0, help="seed of the pairs (default 0)")
    plan.add_argument("--model", help="action model file, run folder or bundled name (default: the world's bundled one)")
    plan.add_argument("--pixel-model", help="the pixel-space baseline's model (default: the world's bundled one)")
    plan.add_argument("--planner", choices=["cem", "grad"], default="cem", help="cross-entropy method or gradient descent")
    plan.add_argument("--iterations", type=_positive, help="CEM iterations or gradient steps (default 10)")
    plan.add_argument(
        "--samples", type=_samples, help="CEM: plans drawn per iteration, at least 2 (default 300), the elites a tenth of them"
    )
    plan.add_argument("--horizon", type=_positive, help="model steps planned ahead (default 5)")
    plan.add_argument(
        "--subgoal-hops",
        type=_non_negative,
        help="aim at the landmark this many model steps along the way found in the offline data (its model's "
        "landmarks file), 0 for the goal itself (default 0)",
    )
    plan.add_argument(
        "--goal-cost",
        choices=["every-step", "final"],
        help="the goal distance averaged over the horizon's steps (default), or at its end alone",
    )
    plan.add_argument(
        "--baselines",
        default="random,inverse_dynamics",
        help="comma-separated from random, inverse_dynamics, pixel (the pixel-space planner: slow), or 'none' "
        "(default random,inverse_dynamics)",
    )
    plan.add_argument("--steps", type=_positive, help="step budget (default: the world's)")
    plan.add_argument("--json", help="write the summary here")
    plan.add_argument("--video", help="folder for an H.264 video of every episode")
    plan.add_argument("--quiet", action="store_true", help="no progress bars")
    plan.set_defaults(run=_plan)

    landmarks = commands.add_parser(
        "landmarks", help="embed offline episodes for an action model to plan by subgoals (training does it too)"
    )
    landmarks.add_argument("model", help="action model file or run folder")
    landmarks.add_argument("--data", required=True, help="the episodes it was trained on (physlab generate --actions)")
    landmarks.add_argument("--episodes", type=_positive, default=200, help="episodes to embed (default 200)")
    landmarks.set_defaults(run=_landmarks)

    experiment = commands.add_parser("experiment", help="scripted surprise experiments (experiments/*.yaml)")
    actions = experiment.add_subparsers(required=True, metavar="ACTION")
    run = actions.add_parser("run", help="run an experiment file: summary.json, tables, plots and a report")
    run.add_argument("file", help="experiment YAML file")
    run.add_argument("--out", help="results folder (default: results/<experiment name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(run=_experiment_run)
    check = actions.add_parser("check", help="validate experiment files without running them")
    check.add_argument("files", nargs="+", help="experiment YAML files")
    check.set_defaults(run=_experiment_check)
    return parser


def _common(parser: argparse.ArgumentParser, *, size: int) -> None:
    parser.add_argument("--scenes", help="comma-separated family names or YAML paths (default: all bundled)")
    parser.add_argument("--seed", type=_non_negative, default=0, help="base seed (default 0)")
    parser.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--size", type=_even_size, default=size, help=f"frame size in pixels, even (default {size})")
    parser.add_argument("--frames", type=_frames, default=None, help="frames per clip (default: the family's, 48)")
    parser.add_argument(
        "--look",
        help="how clips are filmed: a bundled look (classic, randomized, heldout_...) or a look YAML path (default: classic)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _families(args: argparse.Namespace) -> int:
    for family in load_families(args.scenes):
        violations = ", ".join(v.name for v in family.violations) or "(none: training only)"
        print(f"{family.name:20s} {family.concept:12s} {violations}")
    return 0


def _looks(args: argparse.Namespace) -> int:
    from physlab.scenes.looks import load_look, look_names

    for name in look_names():
        print(f"{name:24s} {load_look(name).description}")
    return 0


def _stimuli(args: argparse.Namespace) -> int:
    if args.actions:
        from physlab.control.surprise import write_action_stimuli

        if not args.world:
            raise PhyslabError("--actions needs --world (two_rooms, push, push_t or a world file)")
        return _summarise(
            write_action_stimuli(args.out, args.world, args.pairs, seed=args.seed, progress=not args.quiet), "pairs"
        )
    families = load_families(args.scenes, with_violations=True)
    report = write_stimuli(
        args.out,
        families,
        args.pairs,
        seed=args.seed,
        size=args.size,
        frames=args.frames,
        workers=args.workers,
        progress=not args.quiet,
        look=_look(args.look),
    )
    return _summarise(report, "pairs")


def _generate(args: argparse.Namespace) -> int:
    if args.actions:
        return _generate_episodes(args)
    if args.clips is None:
        raise PhyslabError("--clips is required (or --actions --world W --episodes N for episodes with actions)")
    families = load_families(args.scenes)
    report = write_training_set(
        args.out,
        families,
        args.clips,
        seed=args.seed,
        size=args.size,
        frames=args.frames,
        workers=args.workers,
        shard=parse_shard(args.shard),
        shard_size=args.shard_size,
        progress=not args.quiet,
        look=_look(args.look),
    )
    return _summarise(report, "clips")


def _generate_episodes(args: argparse.Namespace) -> int:
    from physlab.control.data import write_action_set

    if not args.world or not args.episodes:
        raise PhyslabError("--actions needs --world (two_rooms, push, push_t or a world file) and --episodes N")
    report = write_action_set(
        args.out,
        args.world,
        args.episodes,
        seed=args.seed,
        steps=args.steps,
        workers=args.workers,
        shard=parse_shard(args.shard),
        shard_size=args.shard_size,
        progress=not args.quiet,
    )
    return _summarise(report, "episodes")


def _look(name: str | None):
    from physlab.scenes.looks import load_look

    return load_look(name) if name else None


def _overrides(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The training options given on the command line that override a config (a seed of 0 is given)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) not in (None, "")}


def _train(args: argparse.Namespace) -> int:
    from physlab.control.data import is_action_data

    if args.seed is not None and args.resume:
        raise PhyslabError("train: --seed starts a run; a resumed run goes on with its own seed")
    record = Path(args.out) / "config.json"
    recorded = json.loads(record.read_text()) if args.resume and record.exists() else None
    if args.data is None and recorded:  # a resumed run's own data says which model it trains
        data = recorded.get("data")
        if isinstance(data, str) and is_action_data(data):
            args.data = [data]
    if args.data is not None and any(is_action_data(folder) for folder in args.data):
        if len(args.data) > 1:
            raise PhyslabError("train: episodes with actions train alone; give one --data folder of them")
        args.data = args.data[0]
        return _train_action_model(args, recorded)
    from physlab.model import load_train_config
    from physlab.model.checkpoint import model_info
    from physlab.model.config import merge_config
    from physlab.train.loop import read_run, train

    overrides = _overrides(args, ("steps", "init", "seed"))
    named = args.preset or args.config
    source = f"preset {args.preset}" if args.preset else args.config
    run = read_run(args.out) if args.resume else None
    if run is not None and named is None:  # the run's own config; --steps may take it further
        config = load_train_config(overrides=merge_config(run.config.model_dump(), overrides))
        source = run.source
    else:
        config = load_train_config(args.config, args.preset or ("default" if args.config is None else None), overrides)
    data = args.data or (run.data if run else None)
    if data is None:
        raise PhyslabError(
            "train: --data is needed (a folder made by `physlab generate`)" + (" (the run did not record it)" if run else "")
        )
    speaks = int(os.environ.get("RANK", "0")) == 0
    if run is not None and speaks:
        what = (
            f"resuming {args.out} at step {run.step} of {config.steps}"
            if run.step
            else f"{args.out}: no checkpoint yet, starting again"
        )
        print(f"{what} ({source or 'its recorded config'}; data {_names(data)})", flush=True)
    model = train(data, args.out, config, resume=args.resume, progress=not args.quiet, device=args.device, source=source)
    if speaks:
        print(f"{model}: trained for {model_info(model).get('step', config.steps)} steps")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # gloo's teardown can abort after a correct run; leave once every rank is done.
        sys.stdout.flush()
        os._exit(0)
    return 0


def _names(data: str | list[str]) -> str:
    """One training folder, or several, as a person reads them."""
    return data if isinstance(data, str) else ", ".join(data)


def _train_action_model(args: argparse.Namespace, recorded: dict | None) -> int:
    """Episodes with actions train the action-conditioned world model (physlab/control), preset plan_<world>.
    `recorded`: a resumed run's config.json, whose config it goes on with unless told another."""
    from physlab.control.checkpoint import action_model_info
    from physlab.control.data import data_world
    from physlab.control.train import ACTION_PRESETS, load_action_train_config, train_action_model

    overrides = _overrides(args, ("steps", "seed"))
    speaks = int(os.environ.get("RANK", "0")) == 0
    if recorded and args.config is None and args.preset is None:  # the run's own config
        config = load_action_train_config(overrides={**recorded["train"], **overrides})
        if speaks:
            model_file = Path(args.out) / "model.safetensors"
            done = action_model_info(model_file).get("step", 0) if model_file.exists() else 0
            print(f"resuming {args.out} at step {done} of {config.steps} (its recorded config; data {args.data})", flush=True)
    else:
        world = data_world(args.data).name
        default = f"plan_{world}"
        preset = args.preset or (None if args.config else default if default in ACTION_PRESETS else "plan_two_rooms")
        config = load_action_train_config(args.config, preset, overrides or None)
        if speaks:
            parts = (f"preset {preset}" if preset else "", f"config {args.config}" if args.config else "")
            recipe = ", ".join(part for part in parts if part)
            print(f"training {args.out}: {recipe}, {config.steps} steps; data {args.data} (world {world})", flush=True)
    model = train_action_model(args.data, args.out, config, resume=args.resume, progress=not args.quiet, device=args.device)
    if speaks:
        print(f"{model}: trained for {config.steps} steps")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        sys.stdout.flush()
        os._exit(0)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from physlab.control.evaluation import evaluate_planning, format_planning
    from physlab.control.planners import PlannerSettings

    baselines = () if args.baselines == "none" else tuple(b.strip() for b in args.baselines.split(",") if b.strip())
    chosen = {"method": args.planner, "iterations": args.iterations, "horizon": args.horizon, "subgoal_hops": args.subgoal_hops}
    if args.samples:
        chosen["samples"] = args.samples
    if args.goal_cost:
        chosen["every_step"] = args.goal_cost == "every-step"
    settings = PlannerSettings(**{name: value for name, value in chosen.items() if value is not None})
    summary = evaluate_planning(
        args.world,
        args.episodes,
        seed=args.seed,
        model=args.model,
        pixel_model=args.pixel_model,
        settings=settings,
        baselines=baselines,
        video_dir=args.video,
        steps=args.steps,
        progress=not args.quiet,
    )
    print(format_planning(summary))
    if args.json:
        write_json(args.json, summary)
    return 0


def _landmarks(args: argparse.Namespace) -> int:
    from physlab.control.landmarks import save_landmarks

    path = save_landmarks(args.model, args.data, args.episodes)
    print(f"{path}: landmarks for planning by subgoals")
    return 0


def _reading(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aspect",
        choices=ASPECT_MODES,
        default="letterbox",
        help="fit other aspect ratios by letterbox (default) or centre crop",
    )
    parser.add_argument(
        "--max-seconds", type=_positive_float, default=MAX_SECONDS, help=f"refuse longer clips (default {MAX_SECONDS:g} s)"
    )
    parser.add_argument(
        "--precision", choices=["auto", "float32", "bfloat16"], default="auto", help="auto: bfloat16 where native"
    )


def _score(args: argparse.Namespace) -> int:
    from physlab.data.video import read_video
    from physlab.model import load_model
    from physlab.voe.surprise import model_input, score_videos

    model = load_model(args.model)
    spec = model_input(model.config, args.aspect, args.max_seconds)
    videos, failed = [], 0
    for path in args.videos:
        try:
            video = read_video(path, spec, fps=args.fps)
        except PhyslabError as err:
            print(f"physlab: error: {err}", file=sys.stderr)
            failed += 1
            continue
        for note in (None if video.has_timing else video.timing, video.warning):
            if note:
                print(f"physlab: note: {path}: {note}", file=sys.stderr)
        videos.append(video)
    curves = score_videos(model, videos, precision=args.precision, aspect=args.aspect) if videos else []
    for curve in curves:
        excess, high, mean = (curve.clip_surprise(pool) for pool in ("excess", "max", "mean"))
        print(
            f"{curve.name}: surprise excess {excess:.4f} (peak over the clip's median) max {high:.4f} mean {mean:.4f}, "
            f"peak at {curve.peak_seconds():.2f} s (the video's frame {curve.peak_frame()}); "
            f"{len(curve.values)} model frames at {curve.fps:g} fps, scored from "
            f"{curve.seconds[np.flatnonzero(~np.isnan(curve.values))[0]]:.2f} s"
        )
    if args.csv and curves:
        write_csv(args.csv, [row for curve in curves for row in curve.rows()])
    if args.plot and curves:
        from physlab.voe.plots import plot_curve

        plot_curve(curves, args.plot)
    return 1 if failed else 0


def _evaluate(args: argparse.Namespace) -> int:
    from physlab.voe.surprise import evaluate

    result = evaluate(
        args.set,
        args.model,
        pool=args.pool,
        precision=args.precision,
        aspect=args.aspect,
        max_seconds=args.max_seconds,
        crop=args.crop,
        progress=not args.quiet,
    )
    summary = result.summary
    scored = summary["pairs"] > 0
    if scored:  # a table of nothing would read as a result
        print(format_table(summary))
    if args.json:
        write_json(args.json, summary)
    if args.csv:
        write_csv(args.csv, result.clips)
    if args.plots and scored:
        from physlab.voe.plots import plot_accuracy_by_concept, plot_aligned_curves

        plots = Path(args.plots)
        plot_aligned_curves(result.clips, result.curves, plots / "surprise_aligned.png")
        plot_accuracy_by_concept({summary["model"]: summary}, plots / "accuracy_by_concept.png")
    for note in result.notes:
        print(f"physlab: note: {note}", file=sys.stderr)
    for error in result.errors:
        print(f"physlab: error: {error}", file=sys.stderr)
    if not scored:
        print(f"physlab: error: {args.set}: no pair could be scored", file=sys.stderr)
    return 1 if result.errors or not scored else 0


def _visibility(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from physlab.voe.visibility import format_visibility, set_visibility, summarise_visibility

    results, errors = set_visibility(args.set, args.model)
    name = args.model or "jepa"
    label = Path(name).stem  # a column a model file names by its stem, not the tail of its path
    summary = summarise_visibility(results, args.by)
    print(format_visibility({label: summary}, args.by))
    if args.json:
        write_json(
            args.json, {"set": str(args.set), "model": name, f"per_{args.by}": summary, "pairs": [asdict(r) for r in results]}
        )
    if args.plot:
        from physlab.voe.plots import plot_visibility

        plot_visibility({label: summary}, args.plot)
    for error in errors:
        print(f"physlab: error: {error}", file=sys.stderr)
    return 1 if errors else 0


def _experiment_run(args: argparse.Namespace) -> int:
    from physlab.lab.experiments import run_experiment

    result = run_experiment(args.file, args.out, progress=not args.quiet)
    for entry in result.summary["results"]:
        overall = entry["summary"]["pairwise_accuracy"]
        text = "-" if overall is None else f"{overall:.3f}"
        print(f"{entry['model']:12s} {entry['checkpoint']:12s} {entry['set']:20s} pairwise accuracy {text}")
    print(f"{result.report}: report written")
    for error in result.summary["errors"]:  # the experiment ran on every pair that could be made
        print(f"physlab: warning: {error}", file=sys.stderr)
    return 0


def _experiment_check(args: argparse.Namespace) -> int:
    from physlab.lab.experiments import load_experiment

    failed = 0
    for path in args.files:
        try:
            experiment = load_experiment(path)
        except PhyslabError as err:
            print(f"physlab: error: {err}", file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: {experiment.name}: {len(experiment.stimuli)} set(s), {len(experiment.models)} model(s)")
    return 2 if failed else 0


def format_table(summary: dict) -> str:
    """The per-concept table a person reads first: the chosen pool's accuracy, its interval and AUROC, then each
    pool's accuracy beside it, and the accuracy from the onset on where the set gives onsets."""
    from physlab.voe.metrics import interval_text

    pools = list(summary.get("pools", {}))
    timed = summary.get("after_onset") is not None
    lines = [
        f"{'concept':14s} {'pairs':>5s} {'pairwise':>9s} {'95% interval':>13s} {'auroc':>7s}"
        + "".join(f" {pool[:10]:>10s}" for pool in pools)
        + (f" {'from onset':>10s}" if timed else "")
    ]
    for concept, metrics in [*summary["per_concept"].items(), ("overall", summary)]:
        interval = metrics.get("pairwise_interval")
        line = (
            f"{concept:14s} {metrics['pairs']:5d} {_share(metrics['pairwise_accuracy']):>9s} "
            f"{interval_text(interval):>13s} {_share(metrics['auroc']):>7s}"
        )
        line += "".join(f" {_share(metrics['pools'][pool]['pairwise_accuracy']):>10s}" for pool in pools)
        if timed:
            line += f" {_share((metrics.get('after_onset') or {}).get('pairwise_accuracy')):>10s}"
        lines.append(line)
    groups, pairs = summary.get("groups", 0), summary["pairs"]
    ties = ", ".join(f"{pool} {summary['pools'][pool].get('ties', 0)}" for pool in pools)
    footer = f"pool {summary.get('pool', 'max')}; a tie counts as a miss ({summary.get('ties', 0)} tied"
    footer += f"; by pool: {ties})" if pools else ")"
    if groups and pairs != groups:
        footer += f"; {pairs} possible x impossible comparisons in {groups} groups (the intervals count groups)"
    if summary.get("crop") == "motion":
        footer += f"; {summary.get('motion_cropped', 0)} clips cropped to where their pair moves"
    split = summary.get("divergence")
    if split and "diverged" in pools:
        footer += "\ndiverged: each pair scored from the first frame in which its twins differ, one baseline for both"
        if split["median_after_onset_s"] is not None:
            footer += f" (a median {split['median_after_onset_s']:+.2f} s from the onset)"
        footer += (
            f"; of the {split['comparisons']} comparisons, {split['from_start']} differ already in their first frame "
            f"and {split['never']} never differ"
        )
        if split["from_start"]:
            footer += (
                " (those, clips of different scenes in one group as in an IntPhys quadruplet, are compared whole: there"
                " `diverged` cannot tell a reaction from a calmer clip)"
            )
    early = summary.get("calm_wins")
    if early and early["pairs"]:
        footer += (
            f"\nin {early['pairs']} of the {early['of_right']} right pairs the impossible twin peaks before the twins"
            " differ: those win by a calmer rest of the clip, not by a reaction to the violation (`diverged` cannot be"
            " won so)"
        )
    return "\n".join([*lines, footer])


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _summarise(report: SetReport, unit: str) -> int:
    print(f"{report.manifest}: {report.made} {unit} made, {report.reused} already there")
    for error in report.errors:
        print(f"physlab: error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _samples(text: str) -> int:
    value = _integer(text)
    if value < 2:  # CEM keeps the best of what it drew: one draw leaves nothing to choose
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value:g}")
    return value


def _non_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _even_size(text: str) -> int:
    value = _integer(text)
    if value < 16 or value % 2:
        raise argparse.ArgumentTypeError(f"must be an even number of pixels, at least 16, got {value}")
    return value


def _frames(text: str) -> int:
    value = _integer(text)
    if value < 8:
        raise argparse.ArgumentTypeError(f"clips need at least 8 frames, got {value}")
    return value
