import threading
import time

import pytest

from pixelwise.video.pipeline import Pipeline, PipelineStats, sequential


def test_files_keep_every_item_in_order():
    out = list(Pipeline(range(200), lambda x: x * 2, live=False, depth=2))
    assert out == [2 * i for i in range(200)]


def test_sequential_gives_the_same_and_counts():
    stats = PipelineStats()
    assert list(sequential(range(5), str, stats)) == ["0", "1", "2", "3", "4"]
    assert stats.captured == stats.processed == 5


def test_live_sources_drop_stale_items_but_keep_order():
    def slow(x):
        time.sleep(0.01)
        return x

    pipe = Pipeline(range(300), slow, live=True, depth=1)
    out = list(pipe)
    assert out == sorted(out) and out[-1] >= 290  # newest frames win
    assert pipe.stats.dropped > 0 and pipe.stats.dropped + len(out) <= 300 + 2


def test_worker_exception_reaches_the_caller():
    def boom(x):
        if x == 3:
            raise ValueError("bad frame 3")
        return x

    with pytest.raises(ValueError, match="bad frame 3"):
        list(Pipeline(range(10), boom))


def test_source_exception_reaches_the_caller():
    def source():
        yield 1
        raise OSError("camera unplugged")

    with pytest.raises(OSError, match="unplugged"):
        list(Pipeline(source(), lambda x: x))


def test_stopping_early_ends_all_threads_without_hanging():
    before = threading.active_count()
    pipe = Pipeline(iter(range(10**9)), lambda x: x, depth=2)
    for i, _ in enumerate(pipe):
        if i == 5:
            break
    time.sleep(0.2)
    assert threading.active_count() <= before


def test_several_workers_overlap_and_still_deliver_in_order():
    running, peak, lock = [0], [0], threading.Lock()

    def uneven(x):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.004 if x % 3 else 0.012)  # later frames overtake earlier ones
        with lock:
            running[0] -= 1
        return x

    pipe = Pipeline(range(60), uneven, workers=3)
    assert list(pipe) == list(range(60))
    assert peak[0] == 3 and pipe.stats.processed == 60


def test_a_failing_worker_stops_the_others():
    def boom(x):
        if x == 7:
            raise ValueError("bad frame 7")
        time.sleep(0.001)
        return x

    pipe = Pipeline(range(1000), boom, workers=2)
    with pytest.raises(ValueError, match="bad frame 7"):
        list(pipe)
    assert not any(t.is_alive() for t in pipe._threads)


def test_stop_ends_the_iteration_even_when_the_source_stalls():
    released = threading.Event()

    def stalling():
        yield from range(3)
        released.wait(30)  # a camera that stopped sending

    pipe = Pipeline(stalling(), lambda x: x, workers=2)
    got, t0 = [], time.perf_counter()
    try:
        for x in pipe:
            got.append(x)
            if len(got) == 3:
                threading.Timer(0.2, pipe.stop).start()  # what the CLI's SIGTERM handler does
                t0 = time.perf_counter()
        assert got == [0, 1, 2]
        assert time.perf_counter() - t0 < 8  # 0.2 s + at most the 5 s close timeout for the stuck reader
    finally:
        released.set()


def _pipeline_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("pixelwise-") and t.is_alive()]


def test_finish_runs_in_order_in_one_thread_and_end_once_in_that_thread():
    seen, threads, ended = [], set(), []

    def uneven(x):
        time.sleep(0.004 if x % 3 else 0.012)  # later frames overtake earlier ones in the workers
        return x

    def finish(x):
        seen.append(x)
        threads.add(threading.current_thread().name)
        return -x

    def end():
        ended.append(threading.current_thread().name)

    pipe = Pipeline(range(40), uneven, workers=3, finish=finish, end=end)
    assert list(pipe) == [-x for x in range(40)]
    assert seen == list(range(40)) and threads == {"pixelwise-order"} and ended == ["pixelwise-order"]
    assert pipe.stats.finished == 40 and pipe.stats.processed == 40
    assert not _pipeline_threads()


def test_results_are_made_ahead_while_the_caller_is_busy_and_the_queues_stay_bounded():
    pipe = Pipeline(range(500), lambda x: x, workers=2, depth=2)
    ahead = []
    for x in pipe:
        time.sleep(0.002)  # the user's own drawing
        ahead.append(pipe.stats.captured - (x + 1))
        if x == 100:
            break
    assert max(ahead) > 0  # inference of the next frames overlapped the caller
    # capture (1) -> q_in (2) -> workers + q_done + reordering (2 + 2 slots) -> order (1) -> q_out (2)
    assert max(ahead) <= 1 + 2 + 4 + 1 + 2
    assert not _pipeline_threads()


@pytest.mark.parametrize("stage", ["work", "finish", "end"])
def test_an_exception_in_any_stage_reaches_the_caller_and_leaves_no_thread(stage):
    ended = []

    def work(x):
        if stage == "work" and x == 5:
            raise ValueError("bad work 5")
        return x

    def finish(x):
        if stage == "finish" and x == 5:
            raise ValueError("bad finish 5")
        return x

    def end():
        ended.append(1)
        if stage == "end":
            raise ValueError("bad end")

    got = []
    with pytest.raises(ValueError, match=f"bad {stage}"):
        for x in Pipeline(range(50), work, workers=2, finish=finish, end=end):
            got.append(x)
    assert got == list(range(len(got))) and ended == [1]
    assert not _pipeline_threads()


def test_breaking_out_runs_end_and_stops_every_thread():
    ended = []
    pipe = Pipeline(iter(range(10**9)), lambda x: x, workers=2, finish=lambda x: x, end=lambda: ended.append(1))
    for x in pipe:
        if x == 20:
            break
    assert ended == [1] and pipe.stats.finished >= 21
    assert not _pipeline_threads()


def test_sequential_runs_finish_and_end_too():
    ended = []
    stats = PipelineStats()
    out = list(sequential(range(4), lambda x: x + 1, stats, finish=lambda x: 10 * x, end=lambda: ended.append(1)))
    assert out == [10, 20, 30, 40] and ended == [1] and stats.finished == 4
    assert set(stats.per_frame_ms()) == {"capture", "work", "finish"}


def test_stop_is_safe_while_the_main_thread_is_inside_stop():
    """A signal handler calls stop() at any point of the main thread, even inside stop() itself."""
    pipe = Pipeline(range(10), lambda x: x)
    pipe.stop()
    pipe._stop.set()  # the lock-free flag: no lock to deadlock on
    assert pipe._stop.is_set() and list(pipe) == []
