"""physlab: an intuitive-physics world-model lab in the style of infant studies.

The Python API:

    import physlab
    family = physlab.load_family("support_car")
    pair = physlab.make_pair(family, seed=3)          # possible and impossible twins
    pair.possible.frames, pair.impossible.masks, pair.onset_frame
    clip = physlab.make_clip(family, seed=3)          # a possible event (training data)
    physlab.write_stimuli("set/", physlab.load_families(with_violations=True), pairs=10)
    physlab.evaluate("set/").summary                  # pairwise accuracy and AUROC of the bundled JEPA
    physlab.set_visibility("set/")                    # does the JEPA's representation see each violation?
"""

from physlab import _moved
from physlab._quiet import import_pybullet_quietly

import_pybullet_quietly()
_moved.install()

from physlab.data.shards import iter_training_clips, read_shard, write_training_set
from physlab.data.stimuli import write_stimuli
from physlab.errors import PhyslabError
from physlab.scenes.clips import Clip, Pair, make_clip, make_pair
from physlab.scenes.families import family_names, load_families, load_family
from physlab.scenes.spec import Family, sample_scene

# Scoring needs torch, which takes seconds to import: it loads on first use, so generating data
# (and every worker process it spawns) starts without it.
_LAZY = {"evaluate": "physlab.voe.surprise", "surprise": "physlab.voe.surprise", "set_visibility": "physlab.voe.visibility"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'physlab' has no attribute {name!r}")


__all__ = [
    "Clip",
    "Family",
    "Pair",
    "PhyslabError",
    "family_names",
    "iter_training_clips",
    "load_families",
    "load_family",
    "make_clip",
    "make_pair",
    "read_shard",
    "sample_scene",
    "set_visibility",
    "evaluate",
    "surprise",
    "write_stimuli",
    "write_training_set",
]
