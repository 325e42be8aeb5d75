import functools
import http.server
import threading

import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from pixelwise.errors import ImageReadError, InputError


@pytest.fixture
def seg(rgb_model):
    return pw.Segmenter(rgb_model, threads=1)


def test_numpy_input_is_rgb(seg, colour_image):
    res = seg(colour_image)
    assert res.semantic.shape == (120, 160)
    assert res.semantic[5, 5] == 0  # red on the left
    assert res.semantic[5, 155] == 2  # blue on the right
    assert res.semantic[60, 80] == 1  # green in the middle
    swapped = seg(colour_image[..., ::-1].copy())  # the same pixels in BGR order read as RGB
    assert swapped.semantic[5, 5] == 2 and swapped.semantic[5, 155] == 0


def test_path_pil_and_array_agree(seg, colour_image, tmp_path):
    path = tmp_path / "c.png"
    Image.fromarray(colour_image).save(path)
    a = seg(colour_image)
    b = seg(str(path))
    c = seg(Image.fromarray(colour_image))
    assert (a.semantic == b.semantic).all() and (a.semantic == c.semantic).all()
    assert b.path == str(path) and a.path is None


def test_list_input_gives_list(seg, colour_image):
    out = seg([colour_image, colour_image])
    assert isinstance(out, list) and len(out) == 2


def test_url_input(seg, colour_image, tmp_path):
    Image.fromarray(colour_image).save(tmp_path / "c.png")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        res = seg(f"{url}/c.png")
        assert res.semantic[5, 5] == 0 and res.path.endswith("/c.png")
        with pytest.raises(ImageReadError, match="cannot download"):
            seg(f"{url}/missing.png")
    finally:
        server.shutdown()
        server.server_close()


def test_masks_at_original_resolution_for_any_imgsz(rgb_model, colour_image):
    seg = pw.Segmenter(rgb_model, imgsz=(32, 48), threads=1)
    res = seg(colour_image)
    assert res.semantic.shape == colour_image.shape[:2]
    assert res.instances.masks.shape[1:] == colour_image.shape[:2]


def test_confidence_and_classes_by_name(rgb_model, colour_image):
    seg = pw.Segmenter(rgb_model, confidence=True, classes=["blue"], threads=1)
    res = seg(colour_image)
    assert res.confidence.shape == (120, 160)
    assert set(np.unique(res.semantic).tolist()) <= {2, 255}
    with pytest.raises(InputError, match="unknown class 'purple'"):
        pw.Segmenter(rgb_model, classes=["purple"])
    with pytest.raises(InputError, match="out of range"):
        pw.Segmenter(rgb_model, classes=[7])


def test_predict_many_continues_past_bad_inputs(seg, colour_image, tmp_path):
    Image.fromarray(colour_image).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_text("not an image")
    out = dict(seg.predict_many([str(tmp_path), str(tmp_path / "nope.jpg")]))
    assert isinstance(out[str(tmp_path / "good.png")], pw.Result)
    assert isinstance(out[str(tmp_path / "bad.png")], ImageReadError)
    assert "no such file" in str(out[str(tmp_path / "nope.jpg")])


def test_unknown_model_name_lists_known_ones():
    with pytest.raises(pw.PixelwiseError, match="known: default"):
        pw.Segmenter("no-such-model")


def test_bad_types_are_clear(seg):
    with pytest.raises(ImageReadError, match="expected a path, URL, numpy array or PIL image, got int"):
        seg(42)
    with pytest.raises(ImageReadError, match=r"expected an array of shape"):
        seg(np.zeros((2, 2, 2), np.uint8))


@pytest.mark.slow
def test_very_large_image_is_processed_within_bounded_memory(rgb_model, tmp_path):
    """12000x12000: decoded and segmented; the logits never materialise at full size."""
    import subprocess
    import sys

    Image.new("RGB", (12000, 12000), (200, 20, 20)).save(tmp_path / "huge.png")
    code = (
        "import resource, pixelwise as pw\n"
        f"res = pw.Segmenter({str(rgb_model)!r}, threads=1)({str(tmp_path / 'huge.png')!r})\n"
        "assert res.semantic.shape == (12000, 12000) and int(res.semantic[6000, 6000]) == 0\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    peak_mb = int(out.stdout.strip())
    # image 432 MB + class map 144 MB + decoder buffers; 3 classes x 144 MP of float32 would add 1.7 GB
    assert peak_mb < 1800, peak_mb


def test_one_pixel_and_odd_sizes_come_back_at_their_size(seg):
    for hw in [(1, 1), (1, 7), (333, 517)]:
        res = seg(np.full((*hw, 3), (250, 10, 10), np.uint8))
        assert res.semantic.shape == hw and int(res.semantic[0, 0]) == 0


def test_options_are_checked_at_construction_before_the_model_loads(rgb_model):
    from pixelwise.errors import OptionError

    with pytest.raises(OptionError, match=r"imgsz \(--imgsz\) must be \(height, width\) with both >= 1"):
        pw.Segmenter(rgb_model, imgsz=(0, 5))
    with pytest.raises(OptionError, match=r"20000x20000 has 400.0 MP, more than the budget of 16.8 MP"):
        pw.Segmenter("no-such-model", imgsz=(20000, 20000))  # refused before looking for the model
    with pytest.raises(OptionError, match="conf"):
        pw.Segmenter(rgb_model, conf=1.5)


def test_per_call_options_are_validated_like_the_constructors(seg, colour_image):
    from pixelwise.errors import OptionError

    with pytest.raises(OptionError, match=r"imgsz \(--imgsz\) must be \(height, width\) with both >= 1, got \(0, 0\)"):
        seg(colour_image, input_hw=(0, 0))
    with pytest.raises(OptionError, match=r"class id 99 out of range 0..2; the model's classes are: 0 red, 1 green, 2"):
        seg(colour_image, classes=(99,))
    with pytest.raises(OptionError, match="unknown prediction option 'clases'"):
        seg(colour_image, clases=(1,))
    blue = seg(colour_image, classes=["blue"])  # by name, per call
    assert set(np.unique(blue.semantic).tolist()) == {2, 255} and blue.semantic[5, 155] == 2
    assert seg(colour_image, classes=[2]).semantic.tolist() == blue.semantic.tolist()
    assert seg(colour_image, imgsz=(32, 48)).semantic.shape == (120, 160)  # the constructor's name works too
    assert seg.options.classes is None  # per-call options change nothing for the next call


def test_a_fifo_is_refused_not_waited_on(seg, tmp_path):
    import os
    from pathlib import Path

    from pixelwise.errors import NotRegularFileError

    os.mkfifo(tmp_path / "x.png")
    with pytest.raises(NotRegularFileError, match=r"x.png: is a FIFO \(named pipe\)"):
        seg(Path(tmp_path / "x.png"))
    out = dict(seg.predict_many([tmp_path / "x.png"]))
    assert isinstance(out[str(tmp_path / "x.png")], NotRegularFileError)


def test_url_timeout_is_overall(rgb_model, tmp_path):
    from pixelwise.errors import DownloadTimeoutError, InputError
    from tests.io.servers import http_server, trickle

    with http_server(trickle(100, every_s=0.2)) as base:
        seg = pw.Segmenter(rgb_model, threads=1, timeout=1.0)
        url = f"{base}/x.png"
        with pytest.raises(DownloadTimeoutError, match=rf"{url}: download did not finish within 1 s"):
            seg(url)
    with pytest.raises(InputError, match="timeout must be a positive number"):
        pw.Segmenter(rgb_model, timeout=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"timeout": "5"}, "timeout must be a positive number of seconds, got '5'"),
    ({"timeout": float("nan")}, "timeout must be a positive number of seconds"),
    ({"max_pixels": 0}, "max_pixels must be a whole number of pixels >= 1, got 0"),
    ({"imgsz": "36"}, r"imgsz \(--imgsz\) must be \(height, width\) with both >= 1, got '36'"),
])
def test_loading_limits_are_checked_before_the_model_loads(kwargs, message):
    from pixelwise.errors import OptionError

    with pytest.raises(OptionError, match=message):
        pw.Segmenter("no-such-model", **kwargs)
