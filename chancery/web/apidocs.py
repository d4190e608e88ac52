"""The OpenAPI page at /api/docs with Swagger UI served from the installed fastapi-swagger package
(no CDN: it works offline)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/api/docs-assets"


def install_api_docs(app: FastAPI, url: str = "/api/docs") -> None:
    """Serve Swagger UI for `app.openapi_url` at `url`, its script and styles from the package."""
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_swagger") / "resources")), name="docs-assets")

    @app.get(url, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
