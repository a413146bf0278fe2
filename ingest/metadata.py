"""Document metadata: a sidecar file beats the file's own metadata, which beats fallbacks."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml

from ingest.extract import ExtractionError
from ingest.limits import DEFAULT_LIMITS, IngestLimits, human_size
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


# Values a metadata field may take; lists and mappings (Jekyll's `tags:`, Hugo's `params:`)
# are not Refark metadata and are left out.
_SCALARS = (str, int, float, bool, datetime.date)


class NoAliasLoader(yaml.SafeLoader):
    """safe_load without aliases: a 281-byte "billion laughs" of nested aliases unfolds to a
    34.7M-character value. Metadata never needs them; anchors alone are harmless."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML-aliaser (*navn) er ikke tillatt i metadata")
        return super().compose_node(parent, index)


def _too_large(where: str, limits: IngestLimits) -> ExtractionError:
    return ExtractionError(f"{where} er over grensen på {human_size(limits.max_metadata_bytes)}")


def load_yaml(text: str, where: str, limits: IngestLimits = DEFAULT_LIMITS) -> object:
    """Metadata YAML as Python values; raises ExtractionError naming `where`."""
    if len(text.encode("utf-8")) > limits.max_metadata_bytes:
        raise _too_large(where, limits)
    try:
        return yaml.load(text, Loader=NoAliasLoader)
    except yaml.YAMLError as error:
        raise ExtractionError(f"ugyldig YAML i {where}: {error}") from error


def scalar_fields(data: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in data.items() if isinstance(v, _SCALARS)}


def read_sidecar(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> dict[str, str]:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    with sidecar.open("rb") as handle:  # at most one byte past the limit is read
        raw = handle.read(limits.max_metadata_bytes + 1)
    if len(raw) > limits.max_metadata_bytes:
        raise _too_large(sidecar.name, limits)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractionError(f"{sidecar.name} er ikke UTF-8") from error
    data = load_yaml(text, sidecar.name, limits) or {}
    if not isinstance(data, dict):
        raise ExtractionError(f"{sidecar.name}: forventet nøkkel: verdi-par")
    return scalar_fields(data)


def _title_from_filename(path: Path) -> str:
    stem = re.sub(r"[-_]+", " ", path.stem).strip()
    return stem[:1].upper() + stem[1:] if stem else path.name


def _normalize_date(value: str) -> str:
    match = re.search(r"\d{4}(-\d{2}(-\d{2})?)?", value)
    return match.group(0) if match else ""


def resolve_meta(
    relative: Path,
    found: dict[str, str],
    sidecar: dict[str, str],
    limits: IngestLimits = DEFAULT_LIMITS,
) -> DocumentMeta:
    # Cut, not refused: an over-long title from a PDF's own properties must not cost the
    # document, and no value this long is metadata anyone meant.
    merged = {
        key: value[: limits.max_metadata_chars] for key, value in {**found, **sidecar}.items()
    }
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
