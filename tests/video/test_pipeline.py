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
