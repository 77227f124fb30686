"""The generalization benchmark's pooling: accuracy over comparisons, its interval over pair ids."""

import importlib.util
from pathlib import Path

import pytest

from physlab.voe.metrics import wilson_interval

spec = importlib.util.spec_from_file_location(
    "bench_generalization", Path(__file__).parents[1] / "benchmarks" / "bench_generalization.py"
)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_pooled_weighs_comparisons_and_counts_pair_ids_for_the_interval():
    # Quadruplets: four comparisons a pair id, so 40 comparisons are 10 groups.
    quads = {"pairwise_accuracy": 0.75, "pairs": 40, "groups": 10, "per_concept": {}}
    matched = {"pairwise_accuracy": 0.5, "pairs": 20, "groups": 20, "per_concept": {}}
    row = bench.pooled([quads, matched])
    assert row["pairwise_accuracy"] == pytest.approx((0.75 * 40 + 0.5 * 20) / 60)
    assert (row["pairs"], row["groups"]) == (60, 30)
    assert row["pairwise_interval"] == pytest.approx(wilson_interval(row["pairwise_accuracy"], 30))


def test_pooled_over_nothing_has_no_accuracy():
    assert bench.pooled([{"pairwise_accuracy": None, "pairs": 0, "groups": 0, "per_concept": {}}])["pairwise_accuracy"] is None
