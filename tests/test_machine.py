"""The CPU facts the backend choice and training records read."""

import platform

from pixelwise import machine


def test_cpu_info_names_the_cpu_and_its_speed_flags() -> None:
    info = machine.cpu_info()
    assert info["model"] == machine.cpu_name() and info["model"].strip()
    assert set(info["simd"]) <= set(info["flags"]) and set(info["simd"]) <= set(machine.SIMD_FLAGS)
    assert info["flags"] == sorted(machine.cpu_flags())


def test_reads_model_name_and_flags_from_cpuinfo_and_arm_features(monkeypatch, tmp_path) -> None:
    text = "processor\t: 0\nmodel name\t:\nmodel name\t: Test CPU 9000\nflags\t\t: fpu avx2 avx512_vnni\n"
    arm = "processor\t: 0\nFeatures\t: fp asimd\n"
    for content, name, flags in ((text, "Test CPU 9000", {"fpu", "avx2", "avx512_vnni"}),
                                 (arm, platform.processor() or platform.machine(), {"fp", "asimd"})):
        (tmp_path / "cpuinfo").write_text(content)
        monkeypatch.setattr(machine, "Path", lambda _p: tmp_path / "cpuinfo")
        machine.cpu_flags.cache_clear()
        machine.cpu_name.cache_clear()
        try:
            assert machine.cpu_name() == name and machine.cpu_flags() == flags
            assert machine.has_vnni() == ("avx512_vnni" in flags)
        finally:
            machine.cpu_flags.cache_clear()
            machine.cpu_name.cache_clear()
    assert machine.has_vnni({"amx_int8"}) and not machine.has_vnni(["avx2"])


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
