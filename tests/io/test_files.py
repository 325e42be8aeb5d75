"""The one atomic writer: complete files or none, never half of one."""

import pytest

from pixelwise.errors import PixelwiseRuntimeError
from pixelwise.io.files import PendingFile, atomic_path, atomic_write_bytes


def test_bytes_land_complete_and_leave_no_temporary(tmp_path):
    target = tmp_path / "sub" / "a.json"
    assert atomic_write_bytes(target, b"{}") == target and target.read_bytes() == b"{}"
    atomic_write_bytes(target, b"[1]")
    assert target.read_bytes() == b"[1]" and sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    target = tmp_path / "w.bin"
    target.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        1 / 0  # noqa: B018
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["w.bin"]


def test_unwritable_folder_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "f").write_text("a file, not a folder")
    with pytest.raises(PixelwiseRuntimeError, match=r"f/x\.png: cannot write"):
        atomic_write_bytes(tmp_path / "f" / "x.png", b"x")


def test_a_pending_file_keeps_its_suffix_for_writers_that_need_it(tmp_path):
    pending = PendingFile(tmp_path / "v.mp4", keep_suffix=True)
    assert pending.tmp.suffix == ".mp4" and pending.tmp.name.startswith(".v.")
    pending.tmp.write_bytes(b"frames")
    assert pending.commit().read_bytes() == b"frames" and not pending.tmp.exists()
