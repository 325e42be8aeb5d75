"""``auto``'s timing as pure decisions: paired rounds with an early exit, and the pick.

A round runs the baseline (ONNX Runtime at the file's precision) and every candidate still
in the race once each, the order reversed every other round, so each pair of runs sees the
same background load. A candidate beats the baseline when it is at least ``MARGIN`` faster
(its time <= 0.9x the baseline's in that round) in at least ``WIN_SHARE`` of ``ROUNDS``
paired rounds; more than half of the rounds, so its median speedup is past the margin too.
A candidate that has lost more rounds than that allows can no longer win: it leaves the
race at once (the result is the one all rounds would give). The race ends when no
candidate is left, or when a single one is left and has already won enough rounds. With
two or more winners all rounds run, and the largest median speedup wins.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

__all__ = ["MARGIN", "WIN_SHARE", "ROUNDS", "needed_speedup", "required_wins", "paired_rounds", "ratios",
           "wins", "winners"]

MARGIN = 0.10  # a candidate must be >= 10% faster than the baseline to replace it
WIN_SHARE = 0.75  # ... in at least this share of the paired rounds
ROUNDS = 5


def needed_speedup(margin: float = MARGIN) -> float:
    """Baseline time / candidate time a round needs to count as a win (MARGIN 0.10: 1.111)."""
    return 1 / (1 - margin) if margin < 1 else math.inf


def required_wins(rounds: int = ROUNDS, share: float = WIN_SHARE) -> int:
    """Rounds a candidate must win out of ``rounds`` (5 at 75%: 4)."""
    return max(1, math.ceil(share * rounds - 1e-9))


def ratios(times: dict[str, list[float]], baseline: str, label: str) -> np.ndarray:
    """Baseline time / ``label``'s time, round by round (the rounds ``label`` ran)."""
    other = times[label]
    return np.divide(times[baseline][: len(other)], other)


def wins(times: dict[str, list[float]], baseline: str, label: str, margin: float = MARGIN) -> int:
    """The paired rounds ``label`` won: at least ``margin`` faster than the baseline."""
    return int((ratios(times, baseline, label) >= needed_speedup(margin)).sum())


def paired_rounds(runs: dict[str, Callable[[], object]], baseline: str, rounds: int = ROUNDS,
                  margin: float = MARGIN, clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """ms per path and round; a candidate stops being timed as soon as it cannot win (see module doc).

    ``runs`` maps labels to a call that runs the model once (warmed up already); the
    baseline runs in every round that is timed, ``times[baseline][i]`` pairs with round i.
    """
    must_win = required_wins(rounds)
    times: dict[str, list[float]] = {k: [] for k in runs}
    racing = [k for k in runs if k != baseline]
    for r in range(max(1, rounds)):
        if not racing and r > 0:
            break
        order = [baseline, *racing]
        for name in order if r % 2 == 0 else order[::-1]:
            t0 = clock()
            runs[name]()
            times[name].append((clock() - t0) * 1e3)
        won = {k: wins(times, baseline, k, margin) for k in racing}
        racing = [k for k in racing if len(times[k]) - won[k] <= rounds - must_win]  # too many losses: out
        if len(racing) == 1 and won[racing[0]] >= must_win:
            break  # the one candidate left has won: more rounds cannot change the choice
    return times


def winners(times: dict[str, list[float]], baseline: str, rounds: int = ROUNDS, margin: float = MARGIN
            ) -> list[str]:
    """The candidates that beat the baseline, the largest median speedup first (always > 1x, also
    with a margin below zero)."""
    need, must_win = needed_speedup(margin), required_wins(rounds)
    found = []
    for k in times:
        r = ratios(times, baseline, k)
        speedup = float(np.median(r)) if len(r) else 0.0
        if k != baseline and wins(times, baseline, k, margin) >= must_win and speedup >= need and speedup > 1.0:
            found.append((speedup, k))
    return [k for _, k in sorted(found, key=lambda sk: -sk[0])]
