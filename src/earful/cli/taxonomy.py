"""`earful taxonomy`: load, show and export the taxonomy posts are sorted into."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from earful.classify.service import current, save_version
from earful.cli.context import console, database, err, friendly_errors, settings, writable_file
from earful.ml.taxonomy import TaxonomyError, load, load_default

taxonomy_app = typer.Typer(
    help="The categories posts are sorted into. Every load makes a new version.", no_args_is_help=True
)


@taxonomy_app.command("load")
def load_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A taxonomy YAML file."),
    note: str = typer.Option("", help="Why this version: shown in the version list."),
) -> None:
    """Validate a taxonomy file and make it the current version (unchanged files add no version)."""
    try:
        taxonomy = load(path)
    except TaxonomyError as exc:
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    with friendly_errors():
        version = save_version(database(settings()), taxonomy, note=note or None)
    console.print(f"Taxonomy {taxonomy.name!r} is version {version}: {len(taxonomy.nodes)} categories.")


@taxonomy_app.command("show")
def show_command() -> None:
    """Print the current taxonomy as a tree."""
    with friendly_errors():
        found = current(database(settings()))
    if found is None:
        console.print("No taxonomy is loaded yet. Run `earful init`, or `earful taxonomy load FILE`.")
        return
    console.print(f"[bold]{found.taxonomy.name}[/bold] (version {found.version})")
    for category in found.taxonomy.categories:
        console.print(f"  {category.name}  [dim]{category.key}[/dim]")
        for sub in found.taxonomy.children(category.key):
            console.print(f"    {sub.name}  [dim]{sub.key}[/dim]")


@taxonomy_app.command("export")
def export_command(
    output: Path | None = typer.Argument(
        None, callback=writable_file, help="Where to write the YAML (default: print it)."
    ),
    default: bool = typer.Option(False, "--default", help="Export the taxonomy Earful ships instead."),
) -> None:
    """Write the current (or the default) taxonomy as YAML, to edit and load again."""
    if default:
        taxonomy = load_default()
    else:
        with friendly_errors():
            found = current(database(settings()))
        taxonomy = found.taxonomy if found else load_default()
    text = yaml.safe_dump(taxonomy.to_dict(), allow_unicode=True, sort_keys=False, width=100)
    if output is None:
        console.print(text, markup=False, highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {output}")
