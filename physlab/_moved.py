"""Old module names (before the folders followed the flow of data) still import, for scripts written against them.

`import physlab.uploads` gives `physlab.lab.uploads`, with a DeprecationWarning naming the new place.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "spec": "scenes.spec",
    "families": "scenes.families",
    "world": "scenes.world",
    "simulate": "scenes.simulate",
    "trajectory": "scenes.trajectory",
    "onsets": "scenes.onsets",
    "violations": "scenes.violations",
    "render": "scenes.render",
    "clips": "scenes.clips",
    "stimuli": "data.stimuli",
    "dataset": "data.shards",
    "video": "data.video",
    "settings": "data.settings",
    "parallel": "data.parallel",
    "augment": "train.augment",
    "reappearance": "train.reappearance",
    "visibility": "voe.visibility",
    "comparison": "voe.comparison",
    "plots": "voe.plots",
    "experiments": "lab.experiments",
    "designer": "lab.designer",
    "uploads": "lab.uploads",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `physlab.<old>` and loads it as the module that now lives at `physlab.<new>`."""

    def find_spec(self, fullname, path, target=None):
        old = fullname.removeprefix("physlab.")
        if fullname.startswith("physlab.") and old in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = f"physlab.{MOVED[spec.name.removeprefix('physlab.')]}"
        warnings.warn(f"{spec.name} is now {new}", DeprecationWarning, stacklevel=3)
        return importlib.import_module(new)

    def exec_module(self, module):
        """The module was executed under its new name already."""


def install() -> None:
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModules())
