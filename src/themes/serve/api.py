"""The JSON API: suggestions, tagging, review files, retraining and model versions.

Request bodies are checked by pydantic models (their schemas make the OpenAPI page at
/docs); refusals are one-line JSON errors that never quote the text sent
(themes.serve.problems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool

from themes.flows.explain import explain
from themes.flows.tag import SUGGESTION_COLUMNS, tag_frame
from themes.serve.holder import ModelHolder
from themes.serve.jobs import RetrainJob
from themes.serve.problems import ApiError
from themes.serve.reviews import Edit, ReviewFile, ReviewFiles, review_rows, save_review
from themes.serve.settings import ServeSettings

# Words shown per suggestion, as `themes suggest` shows by default.
EVIDENCE_WORDS = 5


@dataclass
class Services:
    """What the routes share: settings, the served model, open review files, the retrain."""

    settings: ServeSettings
    holder: ModelHolder
    reviews: ReviewFiles
    job: RetrainJob


def services(request: Request) -> Services:
    return request.app.state.services


Shared = Annotated[Services, Depends(services)]


# ----------------------------------------------------------------------------- bodies
class SuggestRequest(BaseModel):
    """One text to suggest for."""

    text: StrictStr = Field(description="The complaint or compliment text.", min_length=1)
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "No call back from the SW for two weeks"}]}
    )


class TagRecord(BaseModel):
    """One record of a log: its reference (optional) and its text (may be empty)."""

    reference: StrictStr | StrictInt | None = Field(
        default=None, description="The record's reference, returned as given."
    )
    text: StrictStr = Field(description="The complaint or compliment text.")


class TagRequest(BaseModel):
    records: list[TagRecord] = Field(description="Records to tag, at most --max-records.")
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"records": [{"reference": "C-1", "text": "Nobody rang me back"}]}]
        }
    )


class OpenRequest(BaseModel):
    file: StrictStr = Field(description="Name of a review file in the server's --folder.")


class EditBody(BaseModel):
    row: StrictInt = Field(description="Data row position in the file, from 0.")
    kind: StrictStr = ""
    category: StrictStr = ""
    themes: list[StrictStr] = Field(default_factory=list)
    reviewed: StrictBool = False


class SaveRequest(BaseModel):
    edits: list[EditBody] = Field(default_factory=list)
    save_as: StrictStr | None = Field(
        default=None, description="A new file name beside the file (same format); none: same file."
    )


class RetrainRequest(BaseModel):
    review: StrictStr = Field(description="Id of an open review file (its saved rows are read).")


class UseRequest(BaseModel):
    version: StrictStr = Field(description="Version name, e.g. v002 or default.")


router = APIRouter()


# --------------------------------------------------------------------------- routes
@router.get("/health", tags=["server"])
def health(shared: Shared) -> dict[str, Any]:
    """200 once the model is loaded (it is loaded before the server listens)."""
    return {"status": "ok", "model": shared.holder.name}


@router.post("/api/suggest", tags=["suggestions"])
def suggest(body: SuggestRequest, shared: Shared) -> dict[str, Any]:
    """Kind, category and themes with probabilities and the words behind each: the same
    object as `themes suggest --json`."""
    if not body.text.strip():
        raise ApiError(422, "text is empty; send the text to classify")
    explained = shared.holder.run(lambda model: explain(model, body.text, top=EVIDENCE_WORDS))
    return explained.to_dict()


@router.post("/api/tag", tags=["suggestions"])
def tag(body: TagRequest, shared: Shared) -> dict[str, Any]:
    """Each record's suggestion columns, as `themes tag` writes them, in the same order."""
    limit = shared.settings.max_records
    if len(body.records) > limit:
        raise ApiError(
            413,
            f"{len(body.records):,} records in one call; at most {limit:,} (--max-records); "
            "send them in batches",
        )
    frame = pd.DataFrame({"text": [r.text for r in body.records]})
    tagged = shared.holder.run(lambda model: tag_frame(model, frame, "text"))
    columns = {c: tagged[c].tolist() for c in SUGGESTION_COLUMNS}
    records = []
    for i, record in enumerate(body.records):
        out: dict[str, Any] = {"reference": record.reference}
        out.update((c, columns[c][i]) for c in SUGGESTION_COLUMNS)
        records.append(out)
    return {"records": records}


@router.get("/api/taxonomy", tags=["model versions"])
def taxonomy(shared: Shared) -> dict[str, Any]:
    """The served model's kinds, categories and themes (ids and names)."""
    from themes.serve.reviews import taxonomy_json

    return taxonomy_json(shared.holder.loaded.model.taxonomy)


@router.get("/api/models", tags=["model versions"])
def models(shared: Shared) -> dict[str, Any]:
    """The registry's versions and the one this server answers with."""
    registry = shared.holder.registry
    return {
        "serving": shared.holder.name,
        "active": registry.active_name(),
        "versions": [v.summary() for v in registry.versions()],
    }


@router.post("/api/models/use", tags=["model versions"])
def use_version(body: UseRequest, shared: Shared) -> dict[str, Any]:
    """Make a version active and serve it."""
    if shared.job.status().get("state") == "running":
        raise ApiError(409, "a retrain is running; switch versions when it has finished")
    return {"serving": shared.holder.switch(body.version)}


def _review(shared: Services, review_id: str) -> ReviewFile:
    review = shared.reviews.get(review_id)
    if review is None:
        raise ApiError(404, "no such open review file; open it again")
    return review


def _rows(shared: Services, review: ReviewFile) -> dict[str, Any]:
    return shared.holder.run(lambda model: review_rows(model, review))


@router.get("/api/review/files", tags=["review files"])
def review_files(shared: Shared) -> dict[str, Any]:
    """Review files in the server's --folder."""
    return {"folder": shared.reviews.folder is not None, "files": shared.reviews.listing()}


@router.post("/api/review/open", tags=["review files"])
def open_review(body: OpenRequest, shared: Shared) -> dict[str, Any]:
    """Open a review file of the folder: its rows, the review queue's first."""
    return _rows(shared, shared.reviews.open_in_folder(body.file))


@router.post("/api/review/upload", tags=["review files"])
async def upload_review(
    request: Request,
    shared: Shared,
    name: Annotated[str, Query(description="The file's name (.csv, .xlsx or .jsonl).")],
) -> dict[str, Any]:
    """Upload a review file (the raw file as the body); it stays on this machine only,
    in a private folder removed when the server stops."""
    data = await request.body()
    if not data:
        raise ApiError(422, "the uploaded file is empty; choose the review file again")
    review = await run_in_threadpool(shared.reviews.upload, name, data)
    return await run_in_threadpool(_rows, shared, review)


@router.post("/api/review/{review_id}/save", tags=["review files"])
def save(review_id: str, body: SaveRequest, shared: Shared) -> dict[str, Any]:
    """Write corrections into the file (or a new one beside it), atomically."""
    review = _review(shared, review_id)
    edits = [Edit(e.row, e.kind, e.category, list(e.themes), e.reviewed) for e in body.edits]
    taxonomy = shared.holder.loaded.model.taxonomy
    saved = save_review(review, edits, taxonomy, body.save_as)
    return {
        "saved": saved.name,
        "rows": saved.rows,
        "cells_changed": saved.cells_changed,
        "uploaded": review.uploaded,
    }


@router.get("/api/review/{review_id}/download", tags=["review files"])
def download(review_id: str, shared: Shared) -> FileResponse:
    """The file as last saved (for an uploaded file, the way to take it back)."""
    review = _review(shared, review_id)
    return FileResponse(review.path, filename=review.name)


@router.post("/api/retrain", status_code=202, tags=["retraining"])
def start_retrain(body: RetrainRequest, shared: Shared) -> dict[str, Any]:
    """Retrain from the reviewed rows of a saved review file, behind the gate."""
    review = _review(shared, body.review)
    if not shared.job.start([review.path]):
        raise ApiError(409, "a retrain is already running; wait for it to finish")
    return shared.job.status()


@router.get("/api/retrain", tags=["retraining"])
def retrain_status(shared: Shared) -> dict[str, Any]:
    """The latest retrain: running (its step), done (the gate's comparison) or failed."""
    return shared.job.status()
