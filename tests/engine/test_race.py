"""auto's paired timing rounds: the early exit, and that it never changes the choice."""

import time

import numpy as np
import pytest

from pixelwise.engine import race

BASE = "onnxruntime/fp32"


class FakeClock:
    """A clock that each fake run advances by its next duration (ms), so the rounds are exact."""

    def __init__(self, durations: dict[str, list[float]]):
        self.now, self.durations, self.calls = 0.0, durations, {k: 0 for k in durations}

    def __call__(self) -> float:
        return self.now

    def runs(self) -> dict:
        def run(k):
            self.now += self.durations[k][self.calls[k]] / 1e3
            self.calls[k] += 1

        return {k: (lambda k=k: run(k)) for k in self.durations}


def race_with(durations, rounds=5, margin=race.MARGIN):
    clock = FakeClock(durations)
    return race.paired_rounds(clock.runs(), BASE, rounds, margin, clock=clock)


def test_the_thresholds():
    assert race.needed_speedup(0.10) == pytest.approx(1 / 0.9)
    assert race.required_wins(5) == 4 and race.required_wins(4) == 3 and race.required_wins(8) == 6
    assert race.needed_speedup(1.0) == float("inf")


def test_a_slower_candidate_stops_after_two_lost_rounds():
    times = race_with({BASE: [10.0] * 5, "openvino/fp32": [15.0] * 5})
    assert len(times["openvino/fp32"]) == 2 and len(times[BASE]) == 2  # nothing left to race: no 3rd round
    assert race.winners(times, BASE) == []


def test_a_clear_winner_stops_once_it_has_won_enough_rounds():
    times = race_with({BASE: [10.0] * 5, "openvino/bf16": [4.0] * 5})
    assert len(times["openvino/bf16"]) == 4  # 4 of 5 won: the 5th round cannot change it
    assert race.winners(times, BASE) == ["openvino/bf16"]


def test_a_loser_leaves_while_a_winner_races_on():
    times = race_with({BASE: [10.0] * 5, "openvino/fp32": [12.0] * 5, "openvino/bf16": [5.0] * 5})
    assert len(times["openvino/fp32"]) == 2 and len(times["openvino/bf16"]) == 4 and len(times[BASE]) == 4


def test_two_winners_run_every_round_and_the_larger_median_speedup_leads():
    times = race_with({BASE: [10.0] * 5, "openvino/fp32": [8.0] * 5, "openvino/bf16": [5.0] * 5})
    assert all(len(v) == 5 for v in times.values())
    assert race.winners(times, BASE) == ["openvino/bf16", "openvino/fp32"]


def test_order_alternates_so_each_pair_shares_the_load():
    seen = []
    runs = {k: (lambda k=k: seen.append(k)) for k in (BASE, "a", "b")}
    race.paired_rounds(runs, BASE, rounds=2, margin=-100.0)  # every run wins: both race to the end
    assert seen == [BASE, "a", "b", "b", "a", BASE]


@pytest.mark.parametrize("cand, expected", [
    ([8.0] * 5, ["openvino/fp32"]),  # 1.25x faster in every round
    ([9.5] * 5, []),  # 5% faster: below the 10% margin
    ([5.0, 5.0, 5.0, 14.0, 14.0], []),  # 2x faster in 3 rounds of 5 only: not in most rounds
    ([5.0, 5.0, 5.0, 5.0, 14.0], ["openvino/fp32"]),  # 4 rounds of 5
    ([14.0, 5.0, 5.0, 5.0, 5.0], ["openvino/fp32"]),  # lost the first round, won the other 4
])
def test_winners_need_the_margin_in_most_paired_rounds(cand, expected):
    assert race.winners(race_with({BASE: [10.0] * 5, "openvino/fp32": cand}), BASE) == expected


def _full_rounds_choice(durations, rounds, margin):
    """The rule without an early exit: every path timed in every round, then the old pick."""
    need = race.needed_speedup(margin)
    best, best_speed = BASE, 1.0
    for k, t in durations.items():
        if k == BASE:
            continue
        r = np.divide(durations[BASE][:rounds], t[:rounds])
        if np.median(r) >= need and (r >= need).mean() >= race.WIN_SHARE and np.median(r) > best_speed:
            best, best_speed = k, float(np.median(r))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_the_early_exit_never_changes_the_choice(seed):
    rng = np.random.default_rng(seed)
    for _ in range(250):
        rounds = int(rng.integers(3, 8))
        n = int(rng.integers(1, 4))
        base = rng.uniform(8, 12, rounds)
        durations = {BASE: list(base)}
        for i in range(n):  # candidates around the margin: noisy, some faster, some slower
            durations[f"openvino/p{i}"] = list(base * rng.uniform(0.6, 1.2) * rng.uniform(0.85, 1.15, rounds))
        times = race_with(durations, rounds)
        got = ([*race.winners(times, BASE, rounds), BASE])[0]
        assert got == _full_rounds_choice(durations, rounds, race.MARGIN), durations


def test_a_really_slow_run_leaves_the_race_early():
    """Real time: a candidate that sleeps 15 ms per run against a 1 ms baseline is timed twice."""
    runs = {BASE: lambda: time.sleep(0.001), "slow": lambda: time.sleep(0.015)}
    t0 = time.perf_counter()
    times = race.paired_rounds(runs, BASE)
    assert len(times["slow"]) == 2 and time.perf_counter() - t0 < 5 * 0.016
    assert min(times["slow"]) >= 15.0 and race.winners(times, BASE) == []
