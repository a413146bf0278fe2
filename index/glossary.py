"""Domain vocabulary for query expansion: groups of equivalent terms (acronym, Norwegian
term, English term) that maintainers keep in `ordliste.yaml` at the corpus root."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from index.lexical import tokenize
from ingest.metadata import NoAliasLoader

GLOSSARY_SOURCE = "ordliste.yaml"
MAX_GLOSSARY_BYTES = 1024 * 1024  # thousands of term groups; past it, a mistake or an attack


class GlossaryError(ValueError):
    """The glossary file is not a list of term lists."""


def read_glossary_source(corpus_dir: Path) -> list[list[str]]:
    path = corpus_dir / GLOSSARY_SOURCE
    if not path.is_file():
        return []
    if not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise GlossaryError(f"{GLOSSARY_SOURCE}: symbolsk lenke ut av korpusmappen; hoppet over")
    if path.stat().st_size > MAX_GLOSSARY_BYTES:
        raise GlossaryError(f"{GLOSSARY_SOURCE}: større enn {MAX_GLOSSARY_BYTES // 1024} KB")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=NoAliasLoader) or []
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise GlossaryError(f"{GLOSSARY_SOURCE}: ugyldig YAML ({error})") from error
    if not isinstance(data, list) or not all(isinstance(group, list) for group in data):
        raise GlossaryError(f"{GLOSSARY_SOURCE}: forventet en liste av lister med begreper")
    return [[str(term) for term in group if str(term).strip()] for group in data if len(group) > 1]


@dataclass(frozen=True)
class Glossary:
    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def load(cls, path: Path) -> Glossary:
        if not path.is_file():
            return cls()
        return cls(tuple(tuple(g) for g in json.loads(path.read_text(encoding="utf-8"))))

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps([list(g) for g in self.groups], ensure_ascii=False), encoding="utf-8"
        )

    def fingerprint(self) -> str:
        return hashlib.sha1(json.dumps(self.groups, ensure_ascii=False).encode()).hexdigest()

    @cached_property
    def _stemmed(self) -> tuple[tuple[tuple[str, list[str]], ...], ...]:
        """Every term with its stems, worked out once rather than on every query."""
        return tuple(tuple((term, tokenize(term)) for term in group) for group in self.groups)

    @cached_property
    def _groups_by_first_stem(self) -> dict[str, tuple[int, ...]]:
        """The groups holding a term that starts with each stem: a query is only checked
        against the groups one of its own stems can start."""
        found: dict[str, set[int]] = {}
        for number, group in enumerate(self._stemmed):
            for _, stems in group:
                if stems:
                    found.setdefault(stems[0], set()).add(number)
        return {stem: tuple(sorted(groups)) for stem, groups in found.items()}

    def expand(self, query: str) -> str:
        """The query plus the equivalents of every glossary term it contains."""
        stems = tokenize(query)
        candidates = sorted({g for stem in stems for g in self._groups_by_first_stem.get(stem, ())})
        additions = []
        for group in (self._stemmed[number] for number in candidates):
            if any(ts and _contains(stems, ts) for _, ts in group):
                additions.extend(term for term, ts in group if ts and not _contains(stems, ts))
        return " ".join([query, *additions])


def _contains(haystack: list[str], needle: list[str]) -> bool:
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))
