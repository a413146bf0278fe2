"""The frame of the server-rendered pages (reading view, documents list): the site header,
`<main>` and footer, and the formatting they share. Everything from a document is escaped here
or by the caller; the pages carry no inline script or style, which the CSP forbids."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

from index.generation import IndexMissing
from ingest.models import DOC_TYPE_LABELS

NAVIGATION = (
    ("/", "Søk"),
    ("/dokumenter", "Dokumenter"),
    ("/erfaringer", "Del en erfaring"),
    ("/admin", "Administrasjon"),
)
# How the pages' routes declare their body in the OpenAPI schema.
HTML_CONTENT = {"text/html": {"schema": {"type": "string"}}}
STYLESHEETS = ("/static/style.css", "/static/tables.css", "/static/pages.css")
MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
# Times are stored in UTC; the readers are in Norway.
LOCAL_TIME = ZoneInfo("Europe/Oslo")
_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, doc_type or "Ukjent type")


def type_badge(doc_type: str) -> str:
    """The search page's badge: `badge badge-<type>` around the type's label."""
    return f'<span class="badge badge-{escape(doc_type)}">{escape(type_label(doc_type))}</span>'


def long_date(value: str) -> str:
    """'2024-10-21' as '21. oktober 2024'; a year or year-month date (or anything else that
    is not a whole date) as given."""
    match = _FULL_DATE.fullmatch(value)
    if not match:
        return value
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return value
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def date_html(value: str) -> str:
    """A document date as `<time>`, readable text with the machine form beside it."""
    return f'<time datetime="{escape(value)}">{escape(long_date(value))}</time>' if value else ""


def long_time(value: str) -> str:
    """An ISO timestamp (a generation's `created`) as '21. oktober 2024 kl. 14.05', Norwegian
    time; as given when it cannot be read."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TIME)
    return f"{long_date(moment.date().isoformat())} kl. {moment:%H.%M}"


def counted(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def link_list(links: Iterable[tuple[str, str, bool]]) -> str:
    """A `<ul>` of (href, text, is the current page) links, the current one marked for
    screen readers and styles alike."""
    marked = ' aria-current="page"'
    items = "".join(
        f'<li><a href="{escape(href)}"{marked if current else ""}>{escape(text)}</a></li>'
        for href, text, current in links
    )
    return f"<ul>{items}</ul>"


def _navigation(current: str) -> str:
    links = link_list((href, text, href == current) for href, text in NAVIGATION)
    return f'<nav class="site-nav" aria-label="Hovedmeny">{links}</nav>'


def render(title: str, body: str, *, current: str = "", body_class: str = "") -> str:
    """A whole page: `title` is plain text (escaped here), `body` is HTML for `<main>`, and
    `current` is the navigation link of the section the page belongs to."""
    stylesheets = "\n".join(f'<link rel="stylesheet" href="{href}">' for href in STYLESHEETS)
    body_attribute = f' class="{body_class}"' if body_class else ""
    return f"""<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – Refark</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{stylesheets}
</head>
<body{body_attribute}>
<a class="skip-link" href="#innhold">Hopp til innholdet</a>
<header class="site-header">
<div class="wrap header-inner">
<a class="brand" href="/"><img src="/static/favicon.svg" alt="" width="32" height="32">
<span class="brand-name">Refark</span></a>
{_navigation(current)}
</div>
</header>
<main id="innhold" class="wrap page-main" tabindex="-1">
{body}
</main>
<footer class="site-footer">
<div class="wrap">
<p>Refark – søk og spørsmål i dokumenter om kommunal e-helsearkitektur.</p>
<p><a href="/docs">API-dokumentasjon</a></p>
</div>
</footer>
</body>
</html>"""


def unavailable(error: IndexMissing, *, current: str = "") -> HTMLResponse:
    """The page a reader gets while no index can serve (the API answers the same with JSON)."""
    body = f"""<h1>Dokumentene er ikke klare ennå</h1>
<p class="lead">Refark har ingen ferdig indeks å vise dokumentene fra. Prøv igjen om litt.</p>
<p class="hint">{escape(str(error))}</p>"""
    page = render("Ikke klar", body, current=current, body_class="unavailable")
    return HTMLResponse(page, status_code=503)
