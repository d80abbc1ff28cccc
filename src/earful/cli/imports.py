"""`earful import`: files into the store, with a progress bar and a summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from earful.cli.context import console, database, friendly_errors, progress_bar, settings
from earful.connectors.files import FORMATS
from earful.connectors.files.records import ALIASES, ENGAGEMENT_COLUMNS
from earful.ingest.schemas import ImportSummary
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import worker_seen
from earful.settings import Settings
from earful.store.db import Database

# What each group of generic columns (CSV, JSON, JSON Lines) becomes; docs/import.md says the same.
_COLUMN_ROLES = {
    "text": "the post's text (required: a row without it is quarantined)",
    "id": "its id (without one, an id is made from text, author and date)",
    "author": "who wrote it, kept only as a pseudonym",
    "posted_at": "when it was posted, as ISO 8601, RFC 2822 or Unix time (else the import's time)",
    "url": "the link to the original",
    "title": "a title",
    "language": "a language code such as en, a hint to language detection (else the source's)",
}


def columns_help() -> str:
    """Return, for `earful import --help`, the columns a CSV (or JSON) import reads, one group a line."""
    lines = [f"  {', '.join(ALIASES[field])}: {role}" for field, role in _COLUMN_ROLES.items()]
    counts = [name for name in ENGAGEMENT_COLUMNS if not name.endswith("_count")]
    also = [name for name in ENGAGEMENT_COLUMNS if name.endswith("_count")]
    lines.append(f"  {', '.join(counts)} (or {', '.join(also)}): whole numbers, kept as engagement")
    text = "\n".join(lines)
    return (
        "CSV columns (and JSON fields) an import reads, by name in any case; of several for one "
        "thing, the first non-empty one listed wins:\n"
        f"{text}\n"
        "Other columns are kept with the raw row but not read; a post's region is its source's "
        "(--region). See docs/import.md."
    )


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix != ".md"
        )
        if not found:
            raise typer.BadParameter(
                f"{path} holds no file to import (hidden and .md files are left out).", param_hint="PATH"
            )
        return found
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist.", param_hint="PATH")
    return [path]


def import_command(
    path: Path = typer.Argument(..., help="A file, or a folder whose files are all imported."),
    source: str = typer.Option(..., "--source", "-s", help="Name of the source the posts belong to."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="Force a format instead of detecting it: " + ", ".join(sorted(FORMATS))
    ),
    create: bool = typer.Option(False, "--create", help="Create the source (public) if it does not exist."),
    kind: str = typer.Option("file", help="Kind of a source created with --create."),
    region: str | None = typer.Option(None, help="Region of a source created with --create."),
    language: str | None = typer.Option(None, help="Usual language of a source created with --create."),
) -> None:
    """Import posts from CSV, JSON, JSON Lines (.gz, .zst) or native platform payloads.

    Importing the same file again adds nothing. Rows that cannot be read are quarantined with
    their reason and the import goes on; the exit code is 1 when anything was quarantined.
    """
    cfg = settings()
    db = database(cfg)
    files = _files(path)
    if fmt and fmt not in FORMATS:
        raise typer.BadParameter(f"Unknown format {fmt!r}; choose one of {', '.join(sorted(FORMATS))}.")
    with friendly_errors():
        if create:
            cfg.secret  # noqa: B018 - no key, no import: say so before a source is left behind
            _, created = get_or_create_source(db, source, kind=kind, region=region, language=language)
            if created:
                console.print(f"Created public source [bold]{source}[/bold].")
        summaries = [_import_one(db, cfg, f, source, fmt) for f in files]
    _print_summary(summaries, [f.relative_to(path) if path.is_dir() else f for f in files])
    _say_how_enriched(db, cfg, sum(s.imported for s in summaries))
    if any(not s.ok for s in summaries):
        raise typer.Exit(1)


def _say_how_enriched(db: Database, cfg: Settings, imported: int) -> None:
    # Imported posts have no text, labels or place in reports until a worker has enriched them.
    if not imported:
        return
    posts = "1 new post waits" if imported == 1 else f"{imported:,} new posts wait"
    said = f"{posts} for enrichment (cleaning, redaction, categories, sentiment, urgency): until then "
    said += "they have no text in the feed and no place in Insights or reports. "
    if worker_seen(db, cfg):
        said += "A worker is running and will take them; `earful jobs` shows what is left."
    else:
        said += (
            "No worker is running: enrich them now with `earful worker --once`, or keep one running "
            "with `earful worker` or `earful serve --with-worker` (`make demo` runs one)."
        )
    console.print(said, markup=False)


def skipped_with_reasons(summary: ImportSummary) -> str:
    """Return "N skipped", with why each was skipped."""
    reasons = ", ".join(
        f"{count} {reason}" if count != summary.skipped else reason
        for reason, count in sorted(summary.skip_reasons.items(), key=lambda kv: -kv[1])
    )
    return f"{summary.skipped} skipped" + (f" ({reasons})" if reasons else "")


def _import_one(db: Database, cfg: Settings, file: Path, source: str, fmt: str | None) -> ImportSummary:
    with progress_bar("{task.description}", "items") as progress:
        task = progress.add_task(file.name, total=None)

        def advance(count: int) -> None:
            progress.advance(task, count)

        return iter_import(db, cfg, file, source, fmt, on_progress=advance)


def _print_summary(summaries: list[ImportSummary], names: list[Path]) -> None:
    many = len(summaries) > 1  # a folder: each row, and each quarantine reason, names its file
    table = Table(title="Import summary")
    columns = ("format", "read", "imported", "duplicates", "skipped", "quarantined")
    for column in (*(("file",) if many else ()), *columns):
        table.add_column(column, justify="left" if column in ("file", "format") else "right")
    for s, name in zip(summaries, names, strict=True):
        counts = (str(s.read), str(s.imported), str(s.duplicates), str(s.skipped), str(s.quarantined))
        table.add_row(*((str(name),) if many else ()), s.format, *counts)
    total = ImportSummary(source="", format="total")
    for s in summaries:
        total.read += s.read
        total.imported += s.imported
        total.duplicates += s.duplicates
        total.skipped += s.skipped
        total.quarantined += s.quarantined
    if len(summaries) > 1:
        table.add_row(
            *(("",) if many else ()),
            *(
                str(v)
                for v in (
                    total.format,
                    total.read,
                    total.imported,
                    total.duplicates,
                    total.skipped,
                    total.quarantined,
                )
            ),
        )
    console.print(table)
    skipped: dict[str, int] = {}
    for s in summaries:
        for reason, count in s.skip_reasons.items():
            skipped[reason] = skipped.get(reason, 0) + count
    if skipped:
        console.print("Skipped, not posts or not to be collected:")
        for reason, count in sorted(skipped.items(), key=lambda kv: -kv[1]):
            console.print(f"  {count:>6}  {reason}", markup=False)
    reasons = [
        f"{name}: {reason}" if many else reason
        for s, name in zip(summaries, names, strict=True)
        for reason in s.quarantine_reasons
    ]
    quarantined = sum(s.quarantined for s in summaries)
    if quarantined:
        console.print(f"[yellow]{quarantined} quarantined[/yellow] (see `earful quarantine`):")
        for reason in reasons[:20]:
            console.print(f"  - {reason}", markup=False)
        if quarantined > 20:
            console.print(f"  ... and {quarantined - 20} more")
