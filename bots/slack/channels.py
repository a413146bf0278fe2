"""Channel scoping: a YAML file, edited by maintainers, that gives Slack channels their own
document filters (one channel may search only standards, another only one publisher).

    # kanal-ID: filtre (samme navn som i POST /api/ask)
    C0123ABCD:
      type: [standard]
    C0456EFGH:
      publisher: [KS]
      year_from: 2020

The file is read again when it changes, so an edit takes effect without a restart."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from index.search import Filters
from service.queries import parse_filters, resolve_doc_type
from service.schemas import AskFilters

logger = logging.getLogger("refark.slack")


class ChannelScopeError(ValueError):
    """The scoping file cannot be used; the message names the file and the fault."""


def parse_scopes(text: str, origin: str) -> dict[str, Filters]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ChannelScopeError(f"{origin}: er ikke gyldig YAML ({error}).") from error
    if not isinstance(data, dict):
        raise ChannelScopeError(f"{origin}: må være en liste av kanal-ID-er med filtre.")
    scopes = {}
    for channel, filters in data.items():
        if not isinstance(filters, dict):
            raise ChannelScopeError(f"{origin}: filtrene for {channel} må være en ordbok.")
        unknown = set(filters) - set(AskFilters.model_fields)
        if unknown:
            raise ChannelScopeError(
                f"{origin}: ukjent filter for {channel}: {', '.join(sorted(unknown))} "
                f"(kjente: {', '.join(AskFilters.model_fields)})."
            )
        try:
            parsed = parse_filters(AskFilters.model_validate(filters))
        except ValidationError as error:
            raise ChannelScopeError(f"{origin}: ugyldige filtre for {channel}: {error}") from error
        # Types are known without the catalog: a misspelt one is refused here, not at every
        # question in the channel. Publishers are matched when a question is asked.
        types = {t: resolve_doc_type(t) for t in parsed.doc_types}
        if unknown := [t for t, key in types.items() if key is None]:
            raise ChannelScopeError(
                f"{origin}: ukjent dokumenttype for {channel}: {', '.join(unknown)}."
            )
        scopes[str(channel)] = replace(parsed, doc_types=tuple(types.values()))
    return scopes


@dataclass
class ChannelScopes:
    """The filters of each channel, from `path` (None: every channel searches everything)."""

    path: Path | None
    _scopes: dict[str, Filters] = field(default_factory=dict)
    _read_stamp: tuple[float, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.path is not None:
            self._scopes = parse_scopes(self.path.read_text(encoding="utf-8"), str(self.path))
            self._read_stamp = self._stamp()

    def _stamp(self) -> tuple[float, int] | None:
        try:
            status = self.path.stat()  # type: ignore[union-attr]
        except OSError:
            return None
        return status.st_mtime, status.st_size

    def filters_for(self, channel: str) -> Filters | None:
        if self.path is None:
            return None
        with self._lock:
            stamp = self._stamp()
            if stamp != self._read_stamp:
                self._reload(stamp)
            return self._scopes.get(channel)

    def _reload(self, stamp: tuple[float, int] | None) -> None:
        """A broken edit is logged and the last good scopes stay: a typo must not open a
        restricted channel to every document."""
        self._read_stamp = stamp
        try:
            self._scopes = parse_scopes(self.path.read_text(encoding="utf-8"), str(self.path))
        except (OSError, ChannelScopeError) as error:
            logger.error("Beholder forrige kanalfiltre: %s", error)
