"""The page: one server-rendered HTML document with a little JavaScript (no build step)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from themes.serve.reviews import taxonomy_json

HERE = Path(str(resources.files("themes.serve")))
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    shared = request.app.state.services
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "model": shared.holder.name,
            "taxonomy": taxonomy_json(shared.holder.loaded.model.taxonomy),
            "folder": shared.reviews.folder is not None,
            "files": shared.reviews.listing(),
            "max_upload": shared.settings.max_upload,
        },
    )
