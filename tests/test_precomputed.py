"""What the dashboard opens with (dashboard/precomputed.py) is up to date with the bundled models.

When a bundled model file changes, these fail until `python -m dashboard.precomputed` is run again.
"""

import pytest

import physlab
from dashboard import precomputed
from physlab.lab.showcase import score_pair, seeds_by_outcome
from physlab.model import load_model

REMAKE = "the bundled model changed since; run `python -m dashboard.precomputed` (make dashboard-data)"


def test_the_showcase_was_made_with_the_bundled_models():
    showcase = precomputed.read_showcase()
    recorded = {name: entry["digest"] for name, entry in showcase["models"].items()}
    assert set(recorded) == set(precomputed.MODELS)
    assert not precomputed.stale_models(recorded), REMAKE


def test_the_comparison_was_made_with_the_bundled_models():
    info = precomputed.comparison_info()
    assert set(info["digests"]) == set(precomputed.MODELS)
    assert not precomputed.stale_models(info["digests"]), REMAKE


def test_the_showcase_covers_every_family_and_the_comparison_every_model_and_look():
    showcase = precomputed.read_showcase()
    families = {family.name for family in physlab.load_families(with_violations=True)}
    for entry in showcase["models"].values():
        assert set(entry["families"]) == families
        assert all(set(seeds) <= set(showcase["seeds"]) for seeds in entry["families"].values())
        # each seed: both clip surprises, the impossible peak and the onset, both surprises where the twins differ and
        # the frame they start to differ at
        assert all(len(score) == 7 for seeds in entry["families"].values() for score in seeds.values())
    rows = precomputed.read_comparison()
    assert {(row["look"], row["model"]) for row in rows} == {(look, m) for look in precomputed.LOOKS for m in precomputed.MODELS}
    summaries = precomputed.summaries(rows, families)
    pairs = precomputed.comparison_info()["pairs_per_family"] * len(families)
    assert all(summary["pairs"] == pairs for per_model in summaries.values() for summary in per_model.values())


def test_summaries_keep_only_the_chosen_families():
    rows = precomputed.read_comparison()
    solidity = precomputed.summaries(rows, {"solidity"})["training"]["jepa"]
    assert set(solidity["per_concept"]) == {"solidity"}
    assert solidity["pairs"] == precomputed.comparison_info()["pairs_per_family"]


@pytest.mark.slow
def test_each_family_opens_on_a_pair_the_bundled_jepa_gets_right_when_scored_now():
    """The Surprise lab's promise, checked live: the stored verdicts are what scoring gives today."""
    showcase = precomputed.read_showcase()
    model = load_model("jepa")
    for family in physlab.load_families(with_violations=True):
        scores = showcase["models"]["jepa"]["families"][family.name]
        opening = seeds_by_outcome(scores)["more"][0]
        _, now = score_pair(physlab.make_pair(family, opening, size=showcase["size"]), model)
        assert now.outcome == "more", (family.name, opening, now)
        assert now.possible == pytest.approx(scores[opening][0], abs=0.02)
        assert now.impossible == pytest.approx(scores[opening][1], abs=0.02)
        assert now.impossible_diverged == pytest.approx(scores[opening][5], abs=0.02)
