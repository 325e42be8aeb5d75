"""Screenshot of the web page after segmenting the sample image (for the README).

Starts `pixelwise serve` on a free port, drives Debian's Chromium with Playwright.

    python bench/page_screenshot.py docs/img/serve_page.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from serverproc import running_server  # bench/serverproc.py

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src" / "pixelwise" / "assets" / "leuvenA.jpg"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "serve_page.png")
    with running_server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 760})
        page.goto(f"{url}/")
        page.wait_for_function("document.querySelector('#model').options.length > 0")
        page.set_input_files("#file", str(SAMPLE))
        page.wait_for_selector("body[data-state=done]", timeout=60_000)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
