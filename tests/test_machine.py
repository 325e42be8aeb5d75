"""The CPU facts the backend choice and training records read."""

import platform

from pixelwise import machine


def test_cpu_info_names_the_cpu_and_its_speed_flags() -> None:
    info = machine.cpu_info()
    assert info["model"] == machine.cpu_name() and info["model"].strip()
    assert set(info["simd"]) <= set(info["flags"]) and set(info["simd"]) <= set(machine.SIMD_FLAGS)
    assert info["flags"] == sorted(machine.cpu_flags())


def test_without_proc_cpuinfo_the_name_comes_from_platform_and_no_flags(monkeypatch) -> None:
    class NoFile:
        def __init__(self, *_a) -> None:
            pass

        def read_text(self) -> str:
            raise OSError("no /proc here")

    monkeypatch.setattr(machine, "Path", NoFile)
    machine.cpu_flags.cache_clear()
    machine.cpu_name.cache_clear()
    try:
        assert machine.cpu_flags() == frozenset()
        assert machine.cpu_name() == (platform.processor() or platform.machine())
    finally:
        machine.cpu_flags.cache_clear()
        machine.cpu_name.cache_clear()
