"""The OpenAPI UI at /docs works without internet: every asset is served by pixelwise itself."""

import re

import httpx
import pytest


@pytest.fixture(scope="module")
def docs_urls(server):
    r = httpx.get(f"{server.url}/docs", timeout=30)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""", r.text)
    return r.text, [a or b for a, b in urls]


def test_docs_references_only_local_urls(docs_urls):
    html, urls = docs_urls
    assert urls, html
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
    assert all(u.startswith("/") for u in urls), urls


def test_docs_assets_are_served_with_js_and_css_types(server, docs_urls):
    _, urls = docs_urls
    kinds = {}
    for u in urls:
        r = httpx.get(f"{server.url}{u}", timeout=30)
        assert r.status_code == 200, (u, r.status_code)
        kinds[u] = r.headers["content-type"]
    assert any("javascript" in k for k in kinds.values()), kinds
    assert any("text/css" in k for k in kinds.values()), kinds
    js = next(u for u, k in kinds.items() if "javascript" in k and "bundle" in u)
    assert len(httpx.get(f"{server.url}{js}", timeout=30).content) > 100_000  # the real Swagger UI bundle
    assert "/openapi.json" in urls


def test_oauth2_redirect_page_is_local_too(server):
    r = httpx.get(f"{server.url}/docs/oauth2-redirect", timeout=30)
    assert r.status_code == 200 and not re.search(r"https?://", r.text)


def test_redoc_is_not_offered_as_a_blank_page(server):
    assert httpx.get(f"{server.url}/redoc", timeout=30).status_code == 404


def test_without_the_swagger_package_docs_say_what_to_install(monkeypatch, rgb_model):
    import pixelwise.serve.docs as docs
    from tests.serve.conftest import start

    monkeypatch.setattr(docs, "swagger_ui_dir", lambda: None)
    live = start({"default": str(rgb_model)})
    try:
        r = httpx.get(f"{live.url}/docs", timeout=30)
        assert r.status_code == 404 and "pip install 'pixelwise[serve]'" in r.json()["error"]["message"]
        assert httpx.get(f"{live.url}/openapi.json", timeout=30).status_code == 200
    finally:
        live.stop()
