"""Experience sharing: the public form page (/erfaringer) and its upload (POST /api/experiences),
which lands in the review queue, and the maintainers' queue under /api/admin/experiences:
list, approve (filed in the corpus and ingested) and reject."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.limits import human_size
from service.dependencies import get_app_settings
from service.experiences import (
    CONTACT_PATTERN,
    DATE_PATTERN,
    FILE_TYPES,
    MAX_FIELD_CHARS,
    Experience,
    ExperienceStore,
    InvalidSubmission,
    NotPending,
    Status,
    UnknownExperience,
    checked_fields,
    checked_file,
)
from service.follow_up_ingest import FollowUpIngest
from service.pages import HTML_CONTENT, render
from service.routers.admin import require_admin
from service.schemas import (
    NOT_BLANK,
    ExperienceApproved,
    ExperienceEntry,
    ExperienceReceipt,
    ExperienceRejected,
    ExperienceRejection,
    error_responses,
)
from service.settings import Settings

UPLOAD_PATH = "/api/experiences"
PAGE_PATH = "/erfaringer"
FORM_FIELDS = ("municipality", "contact", "topic", "date")


async def get_experiences(request: Request) -> ExperienceStore:
    return request.app.state.experiences


async def get_follow_up_ingest(request: Request) -> FollowUpIngest:
    return request.app.state.experience_ingest


def body_limits(settings: Settings) -> dict[str, int]:
    """The upload's own request-body limit (service.guards.BodyLimit): the largest file plus
    the ordinary limit for the text fields and the multipart framing around them."""
    return {UPLOAD_PATH: settings.experience_max_bytes + settings.max_body_bytes}


def _refused(error: InvalidSubmission) -> HTTPException:
    return HTTPException(status_code=error.status, detail=str(error))


_TEXT_FIELD = {"type": "string", "minLength": 1, "pattern": NOT_BLANK}
# Written out because the form is read by hand (below), not through FastAPI's Form parameters.
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", *FORM_FIELDS],
                    # the form is read with exactly these fields (max_fields below)
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The report: PDF, Word (DOCX) or Markdown.",
                        },
                        **{
                            name: {**_TEXT_FIELD, "maxLength": limit}
                            for name, limit in MAX_FIELD_CHARS.items()
                        },
                        "contact": {
                            **_TEXT_FIELD,
                            "maxLength": MAX_FIELD_CHARS["contact"],
                            "pattern": CONTACT_PATTERN,
                        },
                        "date": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                    },
                }
            }
        },
    }
}

public = APIRouter(tags=["erfaringer"])


@public.post(
    UPLOAD_PATH,
    status_code=202,
    response_model=ExperienceReceipt,
    openapi_extra=UPLOAD_BODY,
    responses=error_responses(400, 413, 415, 422, 429, 500),
)
async def submit_experience(
    request: Request,
    store: Annotated[ExperienceStore, Depends(get_experiences)],
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> ExperienceReceipt:
    """Send an experience report for review. It is not searchable until a maintainer approves
    it."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(
            status_code=415, detail="Skjemaet må sendes som multipart/form-data med en fil."
        )
    try:
        # Starlette's own defaults allow a thousand files and fields.
        async with request.form(max_files=1, max_fields=len(FORM_FIELDS)) as form:
            fields = checked_fields(*(_text(form.get(name)) for name in FORM_FIELDS))
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidSubmission("Velg en fil med rapporten.")
            content = await upload.read(settings.experience_max_bytes + 1)
            file = checked_file(upload.filename, content, settings.experience_max_bytes)
    except InvalidSubmission as error:
        raise _refused(error) from error
    # request.form() raises Starlette's own classes, which FastAPI's subclass.
    except StarletteHTTPException as error:
        if error.status_code != 400:  # 413 from the body limit, as it is
            raise
        # Starlette's reasons (too many files, a broken body) come in English.
        raise HTTPException(
            status_code=400,
            detail="Skjemaet kunne ikke leses. Send én fil og feltene kommune, kontaktperson, "
            "tema og dato.",
        ) from error
    experience = await run_in_threadpool(store.submit, fields, file)
    return ExperienceReceipt(id=experience.id, status="pending")


def _text(value: object) -> str | None:
    # A file sent under a text field's name is as good as no value.
    return value if isinstance(value, str) else None


_PAGE = """<h1>Del en erfaring</h1>
<p class="lead">Har kommunen prøvd noe andre kan lære av? Send erfaringsrapporten her. Den blir
lest før den publiseres, og blir søkbar i Refark når den er godkjent.</p>
<form id="erfaring-skjema" class="experience-form" action="{action}" method="post"
 enctype="multipart/form-data" data-max-bytes="{max_bytes}" novalidate>
<div id="skjemafeil" class="alert" role="alert" hidden></div>
<div class="field">
<label for="municipality">Kommune</label>
<input id="municipality" name="municipality" required maxlength="{municipality_chars}"
 autocomplete="organization">
</div>
<div class="field">
<label for="contact">Kontaktperson (e-post eller telefon)</label>
<input id="contact" name="contact" required maxlength="{contact_chars}" autocomplete="email"
 aria-describedby="contact-hint">
<p id="contact-hint" class="hint">Vi bruker den bare hvis vi har spørsmål om rapporten. Den
publiseres ikke.</p>
</div>
<div class="field">
<label for="topic">Tema</label>
<input id="topic" name="topic" required maxlength="{topic_chars}" aria-describedby="topic-hint">
<p id="topic-hint" class="hint">Blir tittelen på rapporten i søket.</p>
</div>
<div class="field">
<label for="date">Dato</label>
<input id="date" name="date" type="date" required aria-describedby="date-hint">
<p id="date-hint" class="hint">Datoen rapporten er skrevet (ÅÅÅÅ-MM-DD).</p>
</div>
<div class="field">
<label for="file">Fil</label>
<input id="file" name="file" type="file" required accept="{accept}" aria-describedby="file-hint">
<p id="file-hint" class="hint">PDF, Word (DOCX) eller Markdown, høyst {max_size}.</p>
</div>
<button type="submit" class="primary">Send rapporten</button>
</form>
<section id="kvittering" class="receipt" hidden tabindex="-1" aria-label="Kvittering">
<p><strong>Takk!</strong> Rapporten er mottatt og blir synlig i søket når den er godkjent.</p>
<p>Referanse: <code id="kvittering-id"></code></p>
</section>
<link rel="stylesheet" href="/static/experiences.css">
<script type="module" src="/static/experiences/form.js"></script>"""


@public.get(
    PAGE_PATH,
    response_class=HTMLResponse,
    responses={200: {"description": "Skjemaet «Del en erfaring».", "content": HTML_CONTENT}},
)
async def experience_page(
    settings: Annotated[Settings, Depends(get_app_settings)],
) -> HTMLResponse:
    body = _PAGE.format(
        action=UPLOAD_PATH,
        max_bytes=settings.experience_max_bytes,
        max_size=escape(human_size(settings.experience_max_bytes)),
        accept=",".join(FILE_TYPES),
        **{f"{name}_chars": limit for name, limit in MAX_FIELD_CHARS.items()},
    )
    return HTMLResponse(render("Del en erfaring", body, current=PAGE_PATH))


admin = APIRouter(
    prefix="/api/admin/experiences",
    tags=["administrasjon"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 403, 429, 500),
)


def _entry(experience: Experience) -> ExperienceEntry:
    return ExperienceEntry(
        id=experience.id,
        status=experience.status,
        municipality=experience.fields.municipality,
        contact=experience.fields.contact,
        topic=experience.fields.topic,
        date=experience.fields.date,
        filename=experience.filename,
        size=experience.size,
        submitted_at=experience.submitted_at,
        reason=experience.reason,
        source=experience.source,
    )


@admin.get("", response_model=list[ExperienceEntry], responses=error_responses(422))
async def list_experiences(
    store: Annotated[ExperienceStore, Depends(get_experiences)],
    status: Status | None = None,
) -> list[ExperienceEntry]:
    """The submitted reports, newest first."""
    return [_entry(e) for e in await run_in_threadpool(store.entries, status)]


def _decision_error(error: UnknownExperience | NotPending) -> HTTPException:
    status = 404 if isinstance(error, UnknownExperience) else 409
    return HTTPException(status_code=status, detail=str(error))


@admin.post(
    "/{experience_id}/approve",
    response_model=ExperienceApproved,
    responses=error_responses(404, 409),
)
async def approve_experience(
    experience_id: str,
    store: Annotated[ExperienceStore, Depends(get_experiences)],
    ingest: Annotated[FollowUpIngest, Depends(get_follow_up_ingest)],
) -> ExperienceApproved:
    """File the report in the corpus with its metadata and re-ingest, so it becomes
    searchable."""
    try:
        experience = await run_in_threadpool(store.approve, experience_id)
    except (UnknownExperience, NotPending) as error:
        raise _decision_error(error) from error
    return ExperienceApproved(
        id=experience.id, status="approved", source=experience.source, ingest=ingest.request()
    )


@admin.post(
    "/{experience_id}/reject",
    response_model=ExperienceRejected,
    responses=error_responses(404, 409, 413, 422),
)
async def reject_experience(
    experience_id: str,
    rejection: ExperienceRejection,
    store: Annotated[ExperienceStore, Depends(get_experiences)],
) -> ExperienceRejected:
    """Refuse the report: its file is deleted, the record kept with the reason."""
    try:
        experience = await run_in_threadpool(store.reject, experience_id, rejection.reason)
    except (UnknownExperience, NotPending) as error:
        raise _decision_error(error) from error
    except InvalidSubmission as error:
        raise _refused(error) from error
    return ExperienceRejected(id=experience.id, status="rejected")


router = APIRouter()
router.include_router(public)
router.include_router(admin)
