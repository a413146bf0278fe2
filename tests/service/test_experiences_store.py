"""The experience-sharing queue without HTTP: what a submission must be, where approval files
it, and what rejection keeps."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
import yaml

from ingest.metadata import read_sidecar, sidecar_path
from service.experiences import (
    ExperienceFields,
    ExperienceFile,
    ExperienceStore,
    InvalidSubmission,
    NotPending,
    UnknownExperience,
    checked_fields,
    checked_file,
    safe_filename,
)

FIELDS = ExperienceFields(
    "Testvik kommune", "ola@testvik.kommune.no", "Velferdsteknologi", "2025-03-14"
)
MARKDOWN = "# Erfaringer\n\nVi prøvde kvasirulle i hjemmetjenesten.\n".encode()
LIMIT = 1024
VALID_FORM = {
    "municipality": "Testvik",
    "contact": "ola@testvik.no",
    "topic": "T",
    "date": "2025-03-14",
}


def docx_bytes(parts: tuple[str, ...] = ("word/document.xml",)) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


def refusal(function, *args) -> InvalidSubmission:
    with pytest.raises(InvalidSubmission) as caught:
        function(*args)
    return caught.value


@pytest.fixture
def store(tmp_path: Path) -> ExperienceStore:
    (tmp_path / "corpus").mkdir()
    return ExperienceStore(tmp_path / "queue", tmp_path / "corpus")


def test_valid_fields_are_kept_stripped():
    fields = checked_fields(" Testvik kommune ", "+47 912 34 567", "Tema", "2025-03-14")
    assert fields == ExperienceFields("Testvik kommune", "+47 912 34 567", "Tema", "2025-03-14")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"municipality": "  "}, "Kommune må fylles ut."),
        ({"contact": None}, "Kontaktperson må fylles ut."),
        ({"topic": ""}, "Tema må fylles ut."),
        ({"date": None}, "Dato må fylles ut."),
        ({"topic": "x" * 301}, "Tema kan ha høyst 300 tegn."),
        ({"contact": "ring meg"}, "Kontaktperson må være en e-postadresse"),
        ({"contact": "123 45"}, "Kontaktperson må være en e-postadresse"),
        ({"date": "14.03.2025"}, "Dato må skrives som ÅÅÅÅ-MM-DD"),
        ({"date": "2025-02-30"}, "Datoen 2025-02-30 finnes ikke."),
    ],
)
def test_each_bad_field_is_refused_with_a_norwegian_message(given: dict, message: str):
    values = {**VALID_FORM, **given}
    error = refusal(
        checked_fields, values["municipality"], values["contact"], values["topic"], values["date"]
    )
    assert str(error).startswith(message)
    assert error.status == 422


@pytest.mark.parametrize(
    ("uploaded", "safe"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Users\\ola\\Rapport 2025.PDF", "Rapport-2025.pdf"),
        (".hidden.md", "hidden.md"),
        (".md", "md"),  # a hidden file with no suffix, then refused for its type
        ("«».pdf", "erfaring.pdf"),
        ("Erfaring fra Åsen; «pilot».docx", "Erfaring-fra-Åsen-pilot.docx"),
    ],
)
def test_file_names_lose_folders_hidden_dots_and_odd_characters(uploaded: str, safe: str):
    assert safe_filename(uploaded) == safe


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rapport.md", MARKDOWN),
        ("rapport.pdf", b"%PDF-1.7\n..."),
        ("rapport.docx", docx_bytes()),
    ],
)
def test_pdf_docx_and_markdown_are_accepted(name: str, content: bytes):
    assert checked_file(name, content, LIMIT) == ExperienceFile(name, content)


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        (None, MARKDOWN, 422, "Velg en fil med rapporten."),
        ("rapport.exe", MARKDOWN, 415, "Filtypen til «rapport.exe» støttes ikke."),
        ("rapport.html", b"<p>hei</p>", 415, "Filtypen til «rapport.html» støttes ikke."),
        ("rapport.md", b"", 422, "Filen «rapport.md» er tom."),
        ("rapport.md", b"x" * (LIMIT + 1), 413, "Filen «rapport.md» er for stor. Grensen er 1 KB."),
        ("rapport.pdf", MARKDOWN, 415, "Filen «rapport.pdf» er ikke en gyldig PDF-fil"),
        ("rapport.docx", docx_bytes(("xl/workbook.xml",)), 415, "Filen «rapport.docx» er ikke"),
        ("rapport.docx", b"PK not a zip", 415, "Filen «rapport.docx» er ikke en gyldig DOCX"),
        ("rapport.md", b"\xff\xfe\x00binary", 415, "Filen «rapport.md» er ikke en gyldig Markdown"),
    ],
)
def test_each_bad_file_is_refused_with_its_status_and_message(
    name: str | None, content: bytes, status: int, message: str
):
    error = refusal(checked_file, name, content, LIMIT)
    assert str(error).startswith(message)
    assert error.status == status


def test_a_submission_waits_outside_the_corpus(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    assert submitted.status == "pending"
    assert list(store.corpus_dir.rglob("*")) == []
    assert [e.id for e in store.entries("pending")] == [submitted.id]
    assert store.entries("approved") == []


def test_the_queue_refuses_to_live_inside_the_corpus(tmp_path: Path):
    with pytest.raises(ValueError, match="kan ikke ligge i korpuset"):
        ExperienceStore(tmp_path / "corpus" / "kø", tmp_path / "corpus")


def test_the_queue_lists_newest_first(store: ExperienceStore):
    first = store.submit(FIELDS, ExperienceFile("a.md", MARKDOWN))
    second = store.submit(FIELDS, ExperienceFile("b.md", MARKDOWN))
    assert [e.id for e in store.entries()] == [second.id, first.id]


def test_approval_files_the_report_with_a_sidecar_and_empties_the_queue(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    approved = store.approve(submitted.id)

    assert approved.status == "approved"
    assert approved.source == "erfaringer/rapport.md"
    filed = store.corpus_dir / approved.source
    assert filed.read_bytes() == MARKDOWN
    assert read_sidecar(filed) == {
        "title": "Velferdsteknologi",
        "doc_type": "erfaringsrapport",
        "publisher": "Testvik kommune",
        "date": "2025-03-14",
        "language": "nb",
    }
    # The contact person is for the maintainers, not for the corpus.
    assert "ola@" not in sidecar_path(filed).read_text(encoding="utf-8")
    assert list((store.queue_dir / "files").iterdir()) == []
    assert store.get(submitted.id).source == "erfaringer/rapport.md"
    # Only the report and its sidecar: the staged copies are gone.
    assert sorted(p.name for p in filed.parent.iterdir()) == ["rapport.md", "rapport.md.meta.yaml"]


def test_approval_never_overwrites_a_file_in_the_corpus(store: ExperienceStore):
    folder = store.corpus_dir / "erfaringer"
    folder.mkdir()
    (folder / "rapport.md").write_text("# Den gamle\n", encoding="utf-8")
    # A sidecar without its document also holds the name: a report there would get its metadata.
    sidecar_path(folder / "rapport-2.md").write_text("title: Noe annet\n", encoding="utf-8")

    first = store.approve(store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN)).id)
    second = store.approve(store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN)).id)

    assert (first.source, second.source) == ("erfaringer/rapport-3.md", "erfaringer/rapport-4.md")
    assert (folder / "rapport.md").read_text(encoding="utf-8") == "# Den gamle\n"
    assert yaml.safe_load(sidecar_path(folder / "rapport-2.md").read_text()) == {
        "title": "Noe annet"
    }


def test_rejection_deletes_the_file_and_keeps_the_reason(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    rejected = store.reject(submitted.id, "  Inneholder personopplysninger.  ")

    assert rejected.status == "rejected"
    assert rejected.reason == "Inneholder personopplysninger."
    assert list((store.queue_dir / "files").iterdir()) == []
    assert list(store.corpus_dir.rglob("*")) == []
    assert store.entries("rejected")[0].reason == "Inneholder personopplysninger."


def test_a_blank_reason_is_refused_and_the_report_stays_pending(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    error = refusal(store.reject, submitted.id, "   ")
    assert str(error) == "Skriv en begrunnelse for avvisningen."
    assert store.get(submitted.id).status == "pending"


def test_a_decided_report_cannot_be_decided_again(store: ExperienceStore):
    approved = store.approve(store.submit(FIELDS, ExperienceFile("a.md", MARKDOWN)).id)
    rejected = store.reject(store.submit(FIELDS, ExperienceFile("b.md", MARKDOWN)).id, "Nei.")

    with pytest.raises(NotPending, match="allerede godkjent"):
        store.approve(approved.id)
    with pytest.raises(NotPending, match="allerede avvist"):
        store.approve(rejected.id)
    with pytest.raises(NotPending, match="allerede godkjent"):
        store.reject(approved.id, "For sent.")
    assert len(list((store.corpus_dir / "erfaringer").glob("*.md"))) == 1


def test_an_unknown_id_is_named(store: ExperienceStore):
    with pytest.raises(UnknownExperience, match="Fant ingen innsendt rapport med id finnesikke"):
        store.approve("finnesikke")


def test_a_report_that_cannot_be_filed_goes_back_to_the_queue(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    (store.corpus_dir / "erfaringer").write_text("a file where the folder should be")

    with pytest.raises(OSError):
        store.approve(submitted.id)

    assert store.get(submitted.id).status == "pending"
    assert len(list((store.queue_dir / "files").iterdir())) == 1


def test_the_records_survive_a_new_store_on_the_same_folder(store: ExperienceStore):
    submitted = store.submit(FIELDS, ExperienceFile("rapport.md", MARKDOWN))
    again = ExperienceStore(store.queue_dir, store.corpus_dir)
    assert again.get(submitted.id) == submitted
    with sqlite3.connect(store.queue_dir / "experiences.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM experiences").fetchone() == (1,)
