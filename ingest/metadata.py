"""Document metadata: a sidecar file beats the file's own metadata, which beats fallbacks."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.models import DOC_TYPES, DocumentMeta

SIDECAR_SUFFIX = ".meta.yaml"

# Folder names that say what kind of documents they hold, for files with no doc_type of their own.
_FOLDER_DOC_TYPES = {
    "referansearkitektur": "referansearkitektur",
    "standarder": "standard",
    "standard": "standard",
    "erfaringer": "erfaringsrapport",
    "erfaringsrapporter": "erfaringsrapport",
    "veiledere": "veileder",
    "veileder": "veileder",
}


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, str]:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{sidecar.name}: forventet nøkkel: verdi-par")
    return {str(k): str(v) for k, v in data.items() if v is not None}


def _title_from_filename(path: Path) -> str:
    stem = re.sub(r"[-_]+", " ", path.stem).strip()
    return stem[:1].upper() + stem[1:] if stem else path.name


def _normalize_date(value: str) -> str:
    match = re.search(r"\d{4}(-\d{2}(-\d{2})?)?", value)
    return match.group(0) if match else ""


def resolve_meta(relative: Path, found: dict[str, str], sidecar: dict[str, str]) -> DocumentMeta:
    merged = {**found, **sidecar}
    doc_type = merged.get("doc_type", "").strip().lower()
    if doc_type not in DOC_TYPES:
        doc_type = next(
            (
                _FOLDER_DOC_TYPES[p.lower()]
                for p in relative.parts[:-1]
                if p.lower() in _FOLDER_DOC_TYPES
            ),
            "annet",
        )
    return DocumentMeta(
        title=merged.get("title", "").strip() or _title_from_filename(relative),
        doc_type=doc_type,
        publisher=merged.get("publisher", merged.get("author", "")).strip(),
        date=_normalize_date(merged.get("date", "")),
        language=(merged.get("language") or merged.get("lang") or "nb").strip()[:5],
    )
