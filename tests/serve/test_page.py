"""The web page in a real browser: Debian's Chromium driven by Playwright."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.serve.conftest import SAMPLE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    required = os.environ.get("PIXELWISE_REQUIRE_BROWSER") == "1"
    if required:
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        if required:
            pytest.fail(f"{CHROMIUM} missing but PIXELWISE_REQUIRE_BROWSER=1")
        pytest.skip("Debian chromium is not installed (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_upload_shows_overlay_legend_and_areas(server, browser, tmp_path):
    import httpx
    from PIL import Image

    expected = httpx.post(f"{server.url}/v1/segment", content=SAMPLE.read_bytes(),
                          headers={"Content-Type": "image/jpeg"}, timeout=60).json()["classes_present"]
    page = browser.new_page()
    page.goto(server.url + "/")
    page.wait_for_function("document.querySelector('#model').options.length > 0")
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_selector("body[data-state=done]", timeout=60_000)
    legend = page.eval_on_selector_all(".legend-item", "els => els.map(e => e.dataset.cls)")
    assert legend == expected
    assert page.locator("#areas tbody tr").count() == len(expected)
    assert "563" in page.text_content("#status")
    # the opacity slider and a class toggle redraw the canvas
    before = page.evaluate("document.getElementById('view').toDataURL()")
    page.fill("#alpha", "100")
    page.dispatch_event("#alpha", "input")
    page.locator(".legend-item input").first.uncheck()
    after = page.evaluate("document.getElementById('view').toDataURL()")
    assert before != after
    assert page.get_attribute("#download-mask", "href").startswith("data:image/png;base64,")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.std() > 20  # not a blank page
    page.close()


def test_docs_render_offline(server, browser):
    """/docs shows the operations with every request outside the server refused (no internet)."""
    from urllib.parse import urlsplit

    outside = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server.url).netloc:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page = browser.new_page()
    page.route("**/*", only_local)
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent.trim())")
    assert "/v1/segment" in paths and "/v1/models" in paths
    assert not outside, outside
    page.close()


def _pixel(page, x: int, y: int) -> list[int]:
    return page.evaluate(f"Array.from(document.getElementById('view').getContext('2d')"
                         f".getImageData({x}, {y}, 1, 1).data)")


def test_remove_background_shows_the_cutout_on_a_checkerboard_and_offers_it(people_server, browser, tmp_path):
    import httpx

    from tests.serve.conftest import person_photo_png

    photo = tmp_path / "person.png"
    photo.write_bytes(person_photo_png())
    page = browser.new_page()
    page.goto(people_server.url + "/")
    page.wait_for_function("document.querySelector('#model').options.length > 0")
    page.set_input_files("#file", str(photo))
    page.wait_for_selector("body[data-state=done]", timeout=60_000)
    assert _pixel(page, 5, 5)[:3] != [220, 30, 30]  # the overlay tints the red background
    page.check("#remove-bg")
    page.wait_for_selector("body[data-state=cutout]", timeout=60_000)
    assert _pixel(page, 80, 60) == [30, 220, 30, 255]  # the person, exactly
    corners = [_pixel(page, x, y)[:3] for x, y in ((2, 2), (12, 2))]
    assert sorted(corners) == [[200, 200, 200], [255, 255, 255]]  # the checkerboard shows through
    assert "person:" in page.text_content("#status")
    href = page.get_attribute("#download-cutout", "href")
    assert href.startswith("blob:") and "disabled" not in page.get_attribute("#download-cutout", "class")
    with page.expect_download() as info:
        page.click("#download-cutout")
    saved = tmp_path / "cutout.png"
    info.value.save_as(saved)
    expected = httpx.post(f"{people_server.url}/v1/segment?output=cutout", content=photo.read_bytes(),
                          headers={"Content-Type": "image/png"}, timeout=60).content
    assert saved.read_bytes() == expected
    page.screenshot(path=str(tmp_path / "cutout-page.png"), full_page=True)
    # a model without a person class does not offer the choice
    page.select_option("#model", "rgb")
    assert page.is_disabled("#remove-bg") and not page.is_checked("#remove-bg")
    page.close()


def test_remove_background_of_a_photo_without_a_person_says_so(people_server, browser, tmp_path):
    from PIL import Image

    Image.fromarray(np.full((40, 60, 3), (200, 10, 10), np.uint8)).save(tmp_path / "empty.png")
    page = browser.new_page()
    page.goto(people_server.url + "/")
    page.wait_for_function("document.querySelector('#model').options.length > 0")
    page.check("#remove-bg")
    page.set_input_files("#file", str(tmp_path / "empty.png"))
    page.wait_for_selector("body[data-state=cutout]", timeout=60_000)
    assert "no person found" in page.text_content("#status")
    assert _pixel(page, 30, 20)[:3] in ([255, 255, 255], [200, 200, 200])
    page.close()
