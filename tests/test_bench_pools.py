"""The pools benchmark: each pool's accuracy over look groups, the baselines' distance from chance, the margin."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # the benchmark imports the generalization bench's sets, as when run as a script
spec = importlib.util.spec_from_file_location("bench_pools", BENCHMARKS / "bench_pools.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def _summary(shares: dict[str, float], groups=8, violation_share=0.5):
    pools = {pool: {"pairwise_accuracy": shares.get(pool, 0.5), "pairs": groups, "groups": groups} for pool in bench.POOLS}
    per_violation = {
        "vanishes": {"pools": {"diverged": {"pairwise_accuracy": violation_share, "pairs": groups, "groups": groups}}}
    }
    return {"pools": pools, "per_violation": per_violation}


def _looks(shares, violation_share=0.5):
    names = ("classic", "randomized", "heldout_a", "heldout_b")
    return {look: _summary(shares, violation_share=violation_share) for look in names}


def test_held_out_looks_are_pooled_by_pair_ids():
    by_look = _looks({"excess": 0.75})
    by_look["heldout_b"]["pools"]["excess"]["pairwise_accuracy"] = 0.25
    rows = bench.grouped(by_look, "excess")
    assert rows["own"]["pairwise_accuracy"] == 0.75 and rows["unseen"]["pairwise_accuracy"] == pytest.approx(0.5)
    assert rows["unseen"]["groups"] == 16


def test_the_margin_is_over_the_better_baseline_and_the_distance_over_the_farther_one():
    summaries = {"jepa": _looks({"excess": 0.75}), "pixel": _looks({"excess": 0.625}), "untrained:0": _looks({"excess": 0.25})}
    row = bench.table(summaries, ["pixel", "untrained:0"])["excess"]
    assert row["margin"]["seen"] == pytest.approx(0.125)
    assert row["baseline_from_chance"]["seen"] == pytest.approx(0.25)


def test_reactions_count_the_seen_and_held_out_looks_not_the_own_one():
    wins = bench.reactions(_looks({}, violation_share=0.75))
    assert wins == {"vanishes": {"wins": 18, "pairs": 24}}


def test_the_plot_is_drawn(tmp_path):
    summaries = {"jepa": _looks({"excess": 0.75}), "pixel": _looks({})}
    bench.plot(bench.table(summaries, ["pixel"]), tmp_path / "pools.png")
    assert (tmp_path / "pools.png").stat().st_size > 0
