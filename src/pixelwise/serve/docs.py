"""The OpenAPI UI at /docs, served entirely by the server itself (it works without internet).

FastAPI's default /docs page loads Swagger UI from a CDN, so offline it is blank. Here the
page references the Swagger UI 5 files of the ``swagger-ui-bundle-v2`` package (module
``swagger_ui_bundle``), served under /docs/assets/. Swagger UI 5 is needed: FastAPI's schema
is OpenAPI 3.1, which Swagger UI 4 refuses to render. /redoc (CDN only) is not offered.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

__all__ = ["ASSETS", "add_docs"]

ASSETS = "/docs/assets"
FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon-32x32.png": "image/png"}


def swagger_ui_dir() -> Path | None:
    """The folder of Swagger UI's files, or None when the package is not installed."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    folder = Path(str(swagger_ui_path))
    return folder if all((folder / name).is_file() for name in FILES) else None


def add_docs(app: FastAPI, title: str) -> None:
    """GET /docs, /docs/oauth2-redirect and /docs/assets/{name} (create the app with docs_url=None)."""
    folder = swagger_ui_dir()

    @app.get("/docs", include_in_schema=False, response_model=None)
    def docs() -> HTMLResponse | JSONResponse:
        if folder is None:
            return JSONResponse({"error": {"status": 404, "message": "the API docs page needs the swagger-ui-bundle-v2 "
                                           "package: pip install 'pixelwise[serve]'; the schema is at /openapi.json"}},
                                404)
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{title} - API docs",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
                                   oauth2_redirect_url="/docs/oauth2-redirect")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(ASSETS + "/{name}", include_in_schema=False, response_model=None)
    def asset(name: str) -> FileResponse | JSONResponse:
        if folder is None or name not in FILES:
            return JSONResponse({"error": {"status": 404, "message": f"no docs asset {name!r}"}}, 404)
        return FileResponse(folder / name, media_type=FILES[name], headers={"Cache-Control": "max-age=86400"})
