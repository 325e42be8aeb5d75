import pytest

from pixelwise.io.sources import expand_sources


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "imgs").mkdir()
    for n in ("b.png", "a.jpg", "notes.txt"):
        (tmp_path / "imgs" / n).write_bytes(b"x")
    (tmp_path / "imgs" / "sub").mkdir()
    (tmp_path / "imgs" / "sub" / "c.png").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("x")
    return tmp_path


def test_directory_sorted_images_only(tree):
    items = expand_sources([tree / "imgs"])
    assert [i.source.split("/")[-1] for i in items] == ["a.jpg", "b.png"]
    assert len(expand_sources([tree / "imgs"], recursive=True)) == 3


def test_glob_url_and_plain_file(tree):
    items = expand_sources([str(tree / "imgs" / "*.png"), "https://example.com/x.jpg", tree / "imgs" / "notes.txt"])
    assert [i.source.split("/")[-1] for i in items] == ["b.png", "x.jpg", "notes.txt"]
    assert all(i.error is None for i in items)


@pytest.mark.parametrize("name, message", [
    ("empty", "directory is empty"),
    ("docs", "directory contains no images"),
    ("missing.png", "no such file or directory"),
    ("*.bmp", "pattern matches no images"),
])
def test_sources_that_give_nothing_are_errors(tree, name, message):
    items = expand_sources([str(tree / name)])
    assert len(items) == 1 and message in str(items[0].error)
