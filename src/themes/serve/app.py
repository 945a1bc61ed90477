"""The application factory: the model is loaded here, once, before the server listens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from themes import __version__
from themes.serve import api, page, problems
from themes.serve.holder import ModelHolder
from themes.serve.jobs import RetrainJob
from themes.serve.limits import AccessLog, BodyLimit, LocalHostOnly
from themes.serve.reviews import ReviewFiles
from themes.serve.settings import ServeSettings
from themes.store import Registry

UPLOAD_PATH = "/api/review/upload"


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """A FastAPI application serving ``settings.model`` (else the registry's active version)."""
    settings = settings or ServeSettings()
    holder = ModelHolder(Registry(settings.registry), settings.model)
    # The first prediction loads the text pipeline's lazy parts; pay it before /health.
    holder.run(lambda model: model.predict_proba(["The meeting was cancelled."]))
    reviews = ReviewFiles(settings.folder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        reviews.close()

    app = FastAPI(
        title="themes",
        version=__version__,
        description=(
            "Suggestions of kind, category and themes for complaints and compliments about "
            "children's social care, from a model loaded once. Errors are JSON "
            '`{"error": "..."}` and never quote the text sent.'
        ),
        lifespan=lifespan,
    )
    app.state.services = api.Services(settings, holder, reviews, RetrainJob(holder))
    problems.install(app)
    app.include_router(page.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=str(page.STATIC)), name="static")

    def limit_for(path: str) -> tuple[int, str]:
        if path == UPLOAD_PATH:
            return settings.max_upload, "--max-upload"
        return settings.max_body, "--max-body"

    # Innermost first: failures become JSON, bodies are limited, a local server answers only
    # requests addressed to this machine (a web page cannot reach it by DNS rebinding),
    # every request is logged.
    app.add_middleware(problems.CatchAll)
    app.add_middleware(BodyLimit, limit_for=limit_for)
    if settings.local_only:
        app.add_middleware(LocalHostOnly)
    app.add_middleware(AccessLog)
    return app
