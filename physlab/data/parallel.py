"""Run batches of independent jobs on local worker processes, with a progress bar.

Each worker owns one pybullet client (created inside the worker, never sent through a
queue); each task is a batch, because per-task overhead is large next to one small clip.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from physlab.progress import progress_bar

T = TypeVar("T")
R = TypeVar("R")


def run_batches(
    function: Callable[[T], R],
    batches: list[T],
    *,
    workers: int,
    sizes: Iterable[int] | None = None,
    description: str = "",
    unit: str = "clip",
    progress: bool = True,
) -> Iterator[R]:
    """Yield `function(batch)` for each batch as it completes (in completion order)."""
    sizes = list(sizes) if sizes is not None else [1] * len(batches)
    # Nothing to do (everything made before) draws no bar: an empty one would stand there while later steps run.
    bar = progress_bar(total=sum(sizes), desc=description, unit=unit, disable=not progress or not sum(sizes))
    with bar:
        if workers <= 1:
            for batch, size in zip(batches, sizes):
                yield function(batch)
                bar.update(size)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            # Keep a bounded number of batches in flight so memory stays flat at any size.
            pending: dict[Any, int] = {}
            queue = list(zip(batches, sizes))[::-1]
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    batch, size = queue.pop()
                    pending[pool.submit(function, batch)] = size
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    size = pending.pop(future)
                    yield future.result()
                    bar.update(size)
