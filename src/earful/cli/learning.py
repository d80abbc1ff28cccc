"""`earful train` and `earful models`: learn from analysts' labels and see how each model scored."""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.table import Table

from earful.classify.learning import TrainResult, train_classifier, train_sentiment
from earful.classify.versions import promote, rollback, versions
from earful.cli.context import console, database, fail, friendly_errors, settings
from earful.contracts import Actor
from earful.store.repos import learning as learning_repo

KINDS = ("classifier", "sentiment", "all")


def train_command(
    kind: str = typer.Option("all", help="What to train: classifier, sentiment or all."),
) -> None:
    """Train new models from analysts' labels; put each to use only if it beats the one in use."""
    if kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}")
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        with console.status("Training (the classifier is trained twice: once to score, once on everything)"):
            results = []
            if kind in ("classifier", "all"):
                with db.write() as session:
                    results.append(train_classifier(session, cfg))
            if kind in ("sentiment", "all"):
                with db.write() as session:
                    results.append(train_sentiment(session, cfg))
    for result in results:
        _print_result(result)
    if any(result.active for result in results):
        console.print(
            "Run `earful worker` (or a server with --with-worker) to label recent posts with the new model."
        )
    if any(result.model_id is not None and not result.active for result in results):
        console.print("A candidate goes into use only when a lead runs `earful models promote ID`.")


def _print_result(result: TrainResult) -> None:
    console.print(f"[bold]{result.kind}[/bold]: {result.examples:,} analyst-labelled posts; {result.message}")
    evaluation = result.evaluation
    if result.kind == learning_repo.CLASSIFIER and evaluation.get("held_out"):
        for level in ("categories", "subcategories"):
            _print_scores(evaluation[level], f"{level.capitalize()}, {evaluation['held_out']} held-out posts")
        console.print(
            f"calibration error (ECE) {evaluation['calibration_error']:.3f}; "
            f"confidences calibrated: {'yes' if evaluation.get('calibrated') else 'no (too few labels)'}"
        )
    elif evaluation.get("note"):
        console.print(f"No held-out evaluation: {evaluation['note']}.")
    if result.kind == learning_repo.SENTIMENT and evaluation.get("held_out"):
        console.print(
            f"macro-recall on {evaluation['held_out']} held-out judgements: {evaluation['macro_recall']:.3f} "
            f"(shipped tone model {evaluation['builtin_macro_recall']:.3f})"
        )


def _print_scores(scores: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, row in scores["labels"].items():
        if row["support"] or row["precision"]:
            figures = (f"{row[k]:.3f}" for k in ("precision", "recall", "f1"))
            table.add_row(label, *figures, str(row["support"]))
    console.print(table)
    console.print(f"macro-F1 {scores['macro_f1']:.3f}   micro-F1 {scores['micro_f1']:.3f}")


models_app = typer.Typer(
    help="List model versions, promote a candidate, or roll back to an earlier one.",
    invoke_without_command=True,
)


def _operator() -> Actor:
    # Whoever can run the CLI on the server holds the deployment; the audit log names them.
    return Actor(None, f"cli:{getpass.getuser()}", "admin")


@models_app.callback()
def models_command(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, help="Only this kind: classifier or sentiment."),
) -> None:
    """List trained model versions, newest first: held-out scores, status and why."""
    if ctx.invoked_subcommand is not None:
        return
    if kind is not None and kind not in KINDS[:2]:
        fail("--kind must be classifier or sentiment")
    with friendly_errors():
        found = versions(database(settings()), kind)
    if not found:
        console.print(
            "No trained models yet: the built-in keyword classifier and the shipped tone model are in use."
        )
        console.print("Relabel posts, then run `earful train`.")
        return
    table = Table(title="Model versions")
    for column in ("id", "kind", "name", "taxonomy", "examples", "held out", "score", "status"):
        table.add_column(column)
    for m in found:
        table.add_row(
            str(m.id),
            m.kind,
            m.name,
            str(m.taxonomy_version or ""),
            str(m.examples),
            str(m.held_out),
            f"{m.figure:.3f}" if m.figure is not None else "",
            m.status,
        )
    console.print(table)
    # The reasons go below the table, whole: a narrow terminal would cut them short in a cell.
    for m in found:
        console.print(f"model {m.id} ({m.status}): {m.reason}", soft_wrap=True, highlight=False)
    in_use = {m.kind for m in found if m.status == "in use"}
    for missing in sorted({"classifier", "sentiment"} - in_use):
        console.print(f"No trained {missing} is in use: the built-in one is.")


@models_app.command("promote")
def promote_command(model_id: int = typer.Argument(..., help="The id `earful models` shows.")) -> None:
    """Put a candidate (or a retired version) to use, and relabel recent posts with it."""
    cfg = settings()
    with friendly_errors():
        message = promote(database(cfg), cfg, _operator(), model_id)
    console.print(message)
    console.print("Run `earful worker` (or a server with --with-worker) to relabel them.")


@models_app.command("rollback")
def rollback_command(
    kind: str = typer.Option("classifier", help="Which model: classifier or sentiment."),
) -> None:
    """Retire the model in use and put back the one before it (or the built-in one)."""
    if kind not in KINDS[:2]:
        fail("--kind must be classifier or sentiment")
    cfg = settings()
    with friendly_errors():
        message = rollback(database(cfg), cfg, _operator(), kind)
    console.print(message)
    console.print("Run `earful worker` (or a server with --with-worker) to relabel them.")
