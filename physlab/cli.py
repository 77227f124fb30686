"""The `physlab` command: thin subcommands over the Python API."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from physlab.dataset import parse_shard, write_training_set
from physlab.errors import PhyslabError
from physlab.families import load_families
from physlab.stimuli import SetReport, write_stimuli


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; user errors print one line on stderr and return non-zero."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except PhyslabError as err:
        print(f"physlab: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("physlab: interrupted; run the same command again to finish", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="physlab", description="An intuitive-physics lab: scenes, world models, surprise.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    families = commands.add_parser("families", help="list the scene families")
    families.add_argument("--scenes", help="comma-separated family names or YAML paths (default: all bundled)")
    families.set_defaults(run=_families)

    stimuli = commands.add_parser("stimuli", help="write a stimulus set of matched possible/impossible pairs")
    stimuli.add_argument("out", help="output folder")
    stimuli.add_argument("--pairs", type=_positive, required=True, help="pairs per family")
    _common(stimuli, size=128)
    stimuli.set_defaults(run=_stimuli)

    generate = commands.add_parser("generate", help="write training data: possible events only, in shards")
    generate.add_argument("out", help="output folder")
    generate.add_argument("--clips", type=_positive, required=True, help="number of clips")
    generate.add_argument("--shard", default="0/1", help="make only part i of N of the shards (i/N), for clusters")
    generate.add_argument("--shard-size", type=_positive, default=32, help="clips per shard file (default 32)")
    _common(generate, size=64)
    generate.set_defaults(run=_generate)
    return parser


def _common(parser: argparse.ArgumentParser, *, size: int) -> None:
    parser.add_argument("--scenes", help="comma-separated family names or YAML paths (default: all bundled)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--size", type=_even_size, default=size, help=f"frame size in pixels, even (default {size})")
    parser.add_argument("--frames", type=_frames, default=None, help="frames per clip (default: the family's, 48)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _families(args: argparse.Namespace) -> int:
    for family in load_families(args.scenes):
        violations = ", ".join(v.name for v in family.violations) or "(none: training only)"
        print(f"{family.name:20s} {family.concept:12s} {violations}")
    return 0


def _stimuli(args: argparse.Namespace) -> int:
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
    )
    return _summarise(report, "pairs")


def _generate(args: argparse.Namespace) -> int:
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
    )
    return _summarise(report, "clips")


def _summarise(report: SetReport, unit: str) -> int:
    print(f"{report.manifest}: {report.made} {unit} made, {report.reused} already there")
    for error in report.errors:
        print(f"physlab: error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _even_size(text: str) -> int:
    value = int(text)
    if value < 16 or value % 2:
        raise argparse.ArgumentTypeError(f"must be an even number of pixels, at least 16, got {value}")
    return value


def _frames(text: str) -> int:
    value = int(text)
    if value < 8:
        raise argparse.ArgumentTypeError(f"clips need at least 8 frames, got {value}")
    return value
