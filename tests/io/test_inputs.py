"""The input resolver: regular files only, manifests, and one key per file however it is spelled."""

import os

import pytest

from pixelwise.errors import ImageNotFoundError, InputError, NotRegularFileError
from pixelwise.io.inputs import resolve_inputs


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "imgs").mkdir()
    for n in ("a.png", "b.jpg"):
        (tmp_path / "imgs" / n).write_bytes(b"x")
    os.mkfifo(tmp_path / "imgs" / "pipe.png")
    return tmp_path


def test_a_fifo_named_directly_is_an_error_item_and_skipped_in_folders_and_globs(tree):
    (item,) = resolve_inputs([tree / "imgs" / "pipe.png"])
    assert isinstance(item.error, NotRegularFileError) and "pipe.png: is a FIFO (named pipe)" in str(item.error)
    (dev,) = resolve_inputs(["/dev/null"])
    assert isinstance(dev.error, NotRegularFileError) and "is a character device" in str(dev.error)
    for named in (tree / "imgs", str(tree / "imgs" / "*.png")):
        assert [i.source.rsplit("/", 1)[-1] for i in resolve_inputs([named])] in (["a.png", "b.jpg"], ["a.png"])
    (missing,) = resolve_inputs([tree / "nope.png"])
    assert isinstance(missing.error, ImageNotFoundError)


def test_manifests_only_when_asked_with_paths_relative_to_the_manifest(tree, monkeypatch):
    (tree / "list.txt").write_text("# comment\nimgs/a.png\n\nhttps://example.com/x.jpg\nimgs/pipe.png\nimgs/gone.png\n")
    monkeypatch.chdir("/")
    items = resolve_inputs([tree / "list.txt"], manifests=True)
    assert [i.source for i in items] == [str(tree / "imgs/a.png"), "https://example.com/x.jpg",
                                        str(tree / "imgs/pipe.png"), str(tree / "imgs/gone.png")]
    assert [type(i.error).__name__ for i in items] == ["NoneType", "NoneType", "NotRegularFileError",
                                                       "ImageNotFoundError"]
    assert str(items[3].error).endswith("gone.png: no such file")
    (as_image,) = resolve_inputs([tree / "list.txt"])  # predict: a file named directly is an image to read
    assert as_image.error is None and as_image.source == str(tree / "list.txt")


@pytest.mark.parametrize("name, body, message", [
    ("m.csv", "name\nx\n", "CSV manifest needs a 'path', 'url' or 'image' column, got ['name']"),
    ("m.txt", b"\xff\xfe\x00bad", "cannot read the manifest"),
    ("m.txt", "# only a comment\n", "manifest lists no images"),
])
def test_bad_manifests_are_one_line_errors(tree, name, body, message):
    path = tree / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    try:
        items = resolve_inputs([path], manifests=True)
    except InputError as exc:
        assert message in str(exc) and str(path) in str(exc)
    else:
        assert len(items) == 1 and message in str(items[0].error)


def test_every_spelling_of_a_file_has_one_key(tree, monkeypatch):
    (tree / "link").symlink_to(tree / "imgs")
    monkeypatch.chdir(tree / "imgs")
    spellings = ["a.png", "./a.png", "../imgs/a.png", str(tree / "link" / "a.png"), str(tree / "imgs" / "a.png")]
    keys = {i.key for i in resolve_inputs(spellings)}
    assert keys == {str((tree / "imgs" / "a.png").resolve())}
    assert resolve_inputs(["https://example.com/a.png?x=1"])[0].key == "https://example.com/a.png?x=1"
