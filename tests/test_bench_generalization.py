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


def _summary(share):
    return {
        "pairwise_accuracy": share,
        "pairs": 128,
        "groups": 128,
        "per_concept": {"support": {"pairwise_accuracy": 0.4, "pairs": 8}},
    }


def test_factors_report_a_drop_and_ablations_a_gain_from_the_seen_look():
    by_look = {"randomized": _summary(0.625), "factor_camera": _summary(0.5), "ablate_all": _summary(0.875)}
    assert bench.factor_drops(by_look)["factor_camera"]["drop"] == pytest.approx(0.125)
    ablation = bench.ablation_gains(by_look)["ablate_all"]
    assert ablation["gain"] == pytest.approx(0.25) and ablation["inverted"] == ["support"]
    assert set(bench.factor_drops(by_look)) == {"factor_camera"} and set(bench.ablation_gains(by_look)) == {"ablate_all"}


def test_the_one_change_plot_is_drawn_only_when_such_looks_were_scored(tmp_path):
    by_look = {"randomized": _summary(0.625), "factor_camera": _summary(0.5), "ablate_all": _summary(0.875)}
    rows = {"overall": {"seen": bench.pooled([by_look["randomized"]])}}
    table = {"jepa": {"rows": rows, "factors": bench.factor_drops(by_look), "ablations": bench.ablation_gains(by_look)}}
    assert bench.plot_one_change(table, tmp_path / "looks.png") and (tmp_path / "looks.png").stat().st_size > 0
    table["jepa"] |= {"factors": {}, "ablations": {}}
    assert not bench.plot_one_change(table, tmp_path / "none.png") and not (tmp_path / "none.png").exists()


def test_each_model_is_compared_with_the_first_pair_by_pair_on_each_group_of_looks():
    first = {
        "randomized": {"a": 1.0, "b": 0.0},
        "heldout_x": {"a": 0.0, "b": 0.0},
        "heldout_y": {"a": 1.0},
        "classic": {"a": 1.0},
    }
    second = {
        "randomized": {"a": 1.0, "b": 1.0},
        "heldout_x": {"a": 1.0, "b": 1.0},
        "heldout_y": {"a": 0.0},
        "classic": {"a": 1.0},
    }
    table = bench.paired({"jepa": first, "other": second})
    assert list(table) == ["other"] and set(table["other"]) == {"seen", "unseen", "own"}
    assert table["other"]["seen"]["difference"] == pytest.approx(0.5)
    # The held-out looks pooled: pair 'a' of one look is not pair 'a' of another.
    unseen = table["other"]["unseen"]
    assert (unseen["groups"], unseen["better"], unseen["worse"]) == (3, 2, 1)
    assert unseen["difference"] == pytest.approx(1 / 3)
    assert table["other"]["own"]["difference"] == 0.0
