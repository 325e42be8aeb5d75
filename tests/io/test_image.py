"""Reading images: every odd input the issue lists, each a test."""

import io

import numpy as np
import pytest
from PIL import Image

from pixelwise.errors import ImageReadError
from pixelwise.io.image import atomic_write_bytes, decode_image, read_image, to_rgb_array, write_image


def _save(img: Image.Image, path, **kw):
    img.save(path, **kw)
    return path


def test_rgb_png_round_trip(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (7, 9, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", arr)
    out = read_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (7, 9, 3) and (out == arr).all()
    out[0, 0] = 0  # arrays we return are writable


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageReadError, match="nope.png: no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageReadError, match="is a directory"):
        read_image(tmp_path)


def test_text_file_named_png(tmp_path):
    (tmp_path / "fake.png").write_text("hello")
    with pytest.raises(ImageReadError, match="fake.png: not an image"):
        read_image(tmp_path / "fake.png")


def test_empty_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty file"):
        read_image(tmp_path / "empty.jpg")


def test_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(buf, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageReadError, match="cut.jpg: corrupt or truncated"):
        read_image(tmp_path / "cut.jpg")


def test_corrupt_jpeg_body(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    data[200:400] = b"\xff" * 200
    (tmp_path / "bad.jpg").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match="bad.jpg"):
        read_image(tmp_path / "bad.jpg")


def test_16_bit_png_is_scaled(tmp_path):
    arr = np.full((4, 5), 65535, np.uint16)
    arr[0, 0] = 256
    p = _save(Image.fromarray(arr), tmp_path / "d16.png")
    out = read_image(p)
    assert out.shape == (4, 5, 3) and out[1, 1, 0] == 255 and out[0, 0, 0] == 1


def test_greyscale_png(tmp_path):
    p = _save(Image.fromarray(np.full((3, 4), 77, np.uint8), mode="L"), tmp_path / "g.png")
    out = read_image(p)
    assert out.shape == (3, 4, 3) and (out == 77).all()


def test_rgba_png_drops_alpha(tmp_path):
    arr = np.zeros((3, 4, 4), np.uint8)
    arr[..., 0], arr[..., 3] = 200, 0
    out = read_image(_save(Image.fromarray(arr, mode="RGBA"), tmp_path / "a.png"))
    assert out.shape == (3, 4, 3) and (out[..., 0] == 200).all()


def test_palette_png(tmp_path):
    img = Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8), mode="P")
    img.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    out = read_image(_save(img, tmp_path / "p.png"))
    assert out[0, 0].tolist() == [10, 20, 30] and out[0, 1].tolist() == [200, 100, 50]


def test_exif_rotated_jpeg_is_upright(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = 255  # white left half, stored landscape
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 CW to display
    p = _save(img, tmp_path / "rot.jpg", exif=exif.tobytes(), quality=100)
    out = read_image(p)
    assert out.shape == (40, 20, 3)
    assert out[2, 10].mean() > 200 and out[37, 10].mean() < 50  # white on top after rotation


def test_one_pixel_image(tmp_path):
    out = read_image(_save(Image.fromarray(np.full((1, 1, 3), 9, np.uint8)), tmp_path / "one.png"))
    assert out.shape == (1, 1, 3)


def test_large_image_is_refused_before_decoding(tmp_path):
    p = _save(Image.new("L", (12000, 12000)), tmp_path / "huge.png")
    with pytest.raises(ImageReadError, match=r"huge.png: 12000x12000 image has 144 MP, more than the limit of 100 MP"):
        read_image(p, max_pixels=100_000_000)


def test_in_memory_inputs():
    assert to_rgb_array(np.zeros((2, 3), np.uint8)).shape == (2, 3, 3)
    assert to_rgb_array(np.zeros((2, 3, 4), np.uint8)).shape == (2, 3, 3)
    assert to_rgb_array(np.ones((2, 3, 3), np.float32))[0, 0, 0] == 255
    assert to_rgb_array(np.full((2, 3, 3), 65535, np.uint16))[0, 0, 0] == 255
    assert to_rgb_array(Image.new("RGB", (3, 2))).shape == (2, 3, 3)
    with pytest.raises(ImageReadError, match="NaN"):
        to_rgb_array(np.full((2, 2, 3), np.nan, np.float32))
    with pytest.raises(ImageReadError, match="unsupported dtype"):
        to_rgb_array(np.zeros((2, 2, 3), np.int64))
    with pytest.raises(ImageReadError, match="empty image"):
        to_rgb_array(np.zeros((0, 2, 3), np.uint8))


def test_decode_bytes_names_the_source():
    with pytest.raises(ImageReadError, match="upload: not an image"):
        decode_image(b"GIF89a-not-really", "upload")


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write_bytes(tmp_path / "x.bin", b"abc")
    atomic_write_bytes(tmp_path / "x.bin", b"def")
    assert (tmp_path / "x.bin").read_bytes() == b"def"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_write_image_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ImageReadError, match="unsupported image suffix"):
        write_image(tmp_path / "x.gifx", np.zeros((2, 2, 3), np.uint8))


def test_fifo_and_device_are_refused_without_blocking(tmp_path):
    import os

    from pixelwise.errors import NotRegularFileError

    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match=r"x.png: is a FIFO \(named pipe\); only regular image files"):
        read_image(fifo)  # no writer: opening it for a blocking read would wait forever
    with pytest.raises(NotRegularFileError, match="/dev/null: is a character device"):
        read_image("/dev/null")
    with pytest.raises(NotRegularFileError, match="is a directory"):
        read_image(tmp_path)


def test_read_errors_are_typed(tmp_path):
    from pixelwise.errors import ImageDecodeError, ImageNotFoundError, ImageTooLargeError

    with pytest.raises(ImageNotFoundError):
        read_image(tmp_path / "missing.png")
    (tmp_path / "t.png").write_text("text")
    with pytest.raises(ImageDecodeError):
        read_image(tmp_path / "t.png")
    with pytest.raises(ImageTooLargeError):
        read_image(_save(Image.new("L", (100, 100)), tmp_path / "big.png"), max_pixels=9_999)


def test_reading_keeps_pillows_decompression_bomb_guard(tmp_path):
    before = Image.MAX_IMAGE_PIXELS
    assert before is not None
    read_image(_save(Image.new("RGB", (9, 7)), tmp_path / "a.png"))
    decode_image((tmp_path / "a.png").read_bytes())
    assert Image.MAX_IMAGE_PIXELS == before  # no process-wide change


def test_pillows_guard_is_reported_as_too_large(tmp_path, monkeypatch):
    from pixelwise.errors import ImageTooLargeError

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the application's own, stricter guard
    p = _save(Image.new("L", (100, 100)), tmp_path / "bomb.png")
    with pytest.raises(ImageTooLargeError, match=r"bomb.png: image has 0 MP, more than the limit of 0 MP"):
        read_image(p)
