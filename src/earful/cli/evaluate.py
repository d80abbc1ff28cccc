"""`earful eval` and `earful eval-sentiment`: measure Earful's models on your own labelled data,
as the server runs them: the same chain, the model in use and EARFUL_EMBEDDINGS (see `scoring`).
A model trained here with --train reads its training rows as the learning loop reads stored
posts: cleaned and redacted (`scoring.as_stored`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from earful.cli.context import console, database, err, settings, writable_file
from earful.cli.scoring import (
    NO_LABEL,
    as_stored,
    describe_classifier,
    describe_sentiment,
    label_keys,
    run_chain,
    write_predictions,
)
from earful.ingest.stages import chain_of, classify_stage, sentiment_stage, trained_stage
from earful.ml.embeddings import EmbeddingsUnavailable
from earful.ml.evaluate import EvalDataError, Scores, over_seeds, read_labelled, sample_shots, score
from earful.ml.taxonomy import Taxonomy, TaxonomyError, load
from earful.ml.trained import leaves, new_classifier, new_sentiment
from earful.pipeline.sentiment import SentimentStage
from earful.settings import Settings
from earful.store.repos import taxonomy as taxonomy_repo

SENTIMENT = {"negative": "complaint", "complaint": "complaint", "neutral": "neutral", "positive": "positive"}


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]Error:[/red] {message}")
    return typer.Exit(1)


def _print_scores(scores: Scores, title: str) -> None:
    table = Table(title=title)
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for i, label in enumerate(scores.labels):
        table.add_row(
            label,
            f"{scores.precision[i]:.3f}",
            f"{scores.recall[i]:.3f}",
            f"{scores.f1[i]:.3f}",
            str(scores.support[i]),
        )
    console.print(table)
    console.print(
        f"macro-F1 {scores.macro_f1:.3f}   macro-recall {scores.macro_recall:.3f}   "
        f"accuracy {scores.accuracy:.3f}"
    )
    matrix = Table(title="Confusion matrix (rows: truth, columns: predicted)")
    matrix.add_column("")
    short = [str(i + 1) for i in range(len(scores.labels))]
    for name in short:
        matrix.add_column(name, justify="right")
    for i, row in enumerate(scores.confusion):
        matrix.add_row(f"{short[i]} {scores.labels[i]}", *[str(v) for v in row])
    console.print(matrix)


def _as_keys(taxonomy: Taxonomy, labels: list[str], where: str) -> list[str]:
    names = {n.name.casefold(): n.key for n in taxonomy.nodes}
    known = set(leaves(taxonomy))
    keys = [label if label in known else names.get(label.casefold(), label) for label in labels]
    unknown = sorted({k for k in keys if k not in known})
    if unknown:
        raise _fail(
            f"{where} has labels that are not leaf categories of the taxonomy: {', '.join(unknown[:8])}. "
            f"Use keys or names such as: {', '.join(sorted(known)[:8])}"
        )
    return keys


PREDICTIONS = typer.Option(
    None,
    dir_okay=False,
    callback=writable_file,
    help="Write each test row's text, label and prediction to this CSV.",
)
ZERO_LABEL = typer.Option(
    False,
    "--zero-label",
    help="Score the cold-start classifier enrichment falls back on, ignoring any trained model in use.",
)


def _taxonomy(session: Session, path: Path | None) -> tuple[Taxonomy, int, str]:
    """Return the taxonomy to score with, its version (0 for a file) and how to name it."""
    if path is not None:
        try:
            return load(path), 0, f"taxonomy from {path.name}"
        except TaxonomyError as exc:
            raise _fail(str(exc)) from None
    latest = taxonomy_repo.latest(session)
    if latest is None:
        raise _fail(
            "No taxonomy is loaded: run `earful init` (it loads the default one) or "
            "`earful taxonomy load FILE`, or pass --taxonomy FILE."
        )
    return taxonomy_repo.load(session, latest), latest.version, f"taxonomy version {latest.version}"


def _database_failed(cfg: Settings, exc: Exception) -> typer.Exit:
    return _fail(
        f"cannot read the database ({type(exc).__name__}); evaluation scores the models in use there. "
        f"Run `earful init` (or `earful db upgrade`) for {cfg.resolved_database_url.split('@')[-1]} first."
    )


def eval_command(
    test: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV of labelled posts to score on."),
    taxonomy_path: Path | None = typer.Option(
        None, "--taxonomy", exists=True, dir_okay=False, help="Taxonomy YAML (default: the one in use)."
    ),
    train: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="CSV of labelled posts to train on, as `earful train` would (none: the classifier in use).",
    ),
    zero_label: bool = ZERO_LABEL,
    shots: int | None = typer.Option(None, min=1, help="Train on at most this many posts per category."),
    seeds: int = typer.Option(1, min=1, help="Repeat with this many random draws of the shots."),
    text_column: str = typer.Option("text", help="Column holding the post text."),
    label_column: str = typer.Option("label", help="Column holding the category key or name."),
    predictions: Path | None = PREDICTIONS,
) -> None:
    """Score the taxonomy classifier the server runs (or one trained on --train) on a labelled CSV:
    per-category precision/recall/F1 and a confusion matrix."""
    if train is not None and zero_label:
        raise _fail(
            "--zero-label scores the classifier with no training; leave out --train, or --zero-label."
        )
    try:
        test_texts, raw_test_labels = read_labelled(test, text_column, label_column)
        train_data = read_labelled(train, text_column, label_column) if train else None
    except EvalDataError as exc:
        raise _fail(str(exc)) from None
    cfg = settings()
    db = database(cfg, made=False)  # it says itself when the database is missing
    try:
        with db.read() as session:
            taxonomy, version, named = _taxonomy(session, taxonomy_path)
            deployed = (
                None if train_data else classify_stage(session, cfg, version, taxonomy, cold_start=zero_label)
            )
    except SQLAlchemyError as exc:
        raise _database_failed(cfg, exc) from None
    finally:
        db.dispose()
    test_labels = _as_keys(taxonomy, raw_test_labels, test.name)
    labels = sorted(set(test_labels))
    given: list[list[str]] = []

    if deployed is not None:
        console.print(describe_classifier(deployed, named, cfg), soft_wrap=True)
        given = [
            label_keys(item) for item in run_chain(chain_of(cfg, deployed, SentimentStage()), test_texts)
        ]
        keys = [found[0] if found else NO_LABEL for found in given]
        _print_scores(score(test_labels, keys, [*labels, NO_LABEL]), f"{taxonomy.name}: {deployed.model}")
        _save(predictions, test_texts, test_labels, given)
        return
    assert train_data is not None
    train_labels = _as_keys(taxonomy, train_data[1], train.name if train else "")
    with console.status(f"Cleaning and redacting {len(train_data[0]):,} training rows, as stored posts are…"):
        train_texts = as_stored(chain_of(cfg, None, SentimentStage()), train_data[0])

    def run(seed: int) -> Scores:
        texts, marks = (
            sample_shots(train_texts, train_labels, shots, seed) if shots else (train_texts, train_labels)
        )
        try:
            model = new_classifier(taxonomy, cfg.embeddings, light=cfg.light_embeddings)
            stage = trained_stage(model.fit(texts, marks), version)
        except EmbeddingsUnavailable as exc:
            raise _fail(str(exc)) from None
        if seed == 0:
            console.print(describe_classifier(stage, named, cfg, len(texts)), soft_wrap=True)
        found = [label_keys(item) for item in run_chain(chain_of(cfg, stage, SentimentStage()), test_texts)]
        if seed == 0:
            given.extend(found)
        return score(test_labels, [f[0] if f else NO_LABEL for f in found], [*labels, NO_LABEL])

    first, mean, spread = over_seeds(run, seeds if shots else 1)
    how = f"{shots} per category, {seeds} seed(s)" if shots else "all training rows"
    _print_scores(first, f"{taxonomy.name}: trained on {how}")
    if shots and seeds > 1:
        console.print(f"macro-F1 over {seeds} seeds: {mean:.3f} ± {spread:.3f}")
    _save(predictions, test_texts, test_labels, given)


def _save(path: Path | None, texts: list[str], truth: list[str], given: list[list[str]]) -> None:
    if path is not None:
        first = [found[0] if found else NO_LABEL for found in given]
        write_predictions(path, texts, truth, first, [";".join(found) for found in given])
        console.print(f"Predictions written to {path}")


def eval_sentiment_command(
    test: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV of labelled posts to score on."),
    train: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="CSV to train a model on, as `earful train` would (none: the sentiment model in use).",
    ),
    zero_label: bool = typer.Option(
        False,
        "--zero-label",
        help="Score the shipped tone model (no labels), ignoring any trained model in use.",
    ),
    text_column: str = typer.Option("text", help="Column holding the post text."),
    label_column: str = typer.Option(
        "label", help="Column holding positive, neutral, complaint (or negative)."
    ),
    predictions: Path | None = PREDICTIONS,
) -> None:
    """Score the sentiment stage the server runs (or a model trained on --train) on a labelled CSV:
    per-class precision/recall/F1, macro-recall, confusion matrix."""
    if train is not None and zero_label:
        raise _fail(
            "--zero-label scores the shipped tone model with no training; leave out --train, or --zero-label."
        )
    try:
        texts, raw = read_labelled(test, text_column, label_column)
        train_data = read_labelled(train, text_column, label_column) if train else None
    except EvalDataError as exc:
        raise _fail(str(exc)) from None
    bad = sorted({label for label in raw if label.casefold() not in SENTIMENT})
    if bad:
        raise _fail(f"labels must be positive, neutral, complaint or negative; found {', '.join(bad[:8])}")
    truth = [SENTIMENT[label.casefold()] for label in raw]
    cfg = settings()
    trained_on = 0
    if train_data is None:
        db = database(cfg, made=False)  # it says itself when the database is missing
        try:
            with db.read() as session:
                stage = sentiment_stage(session, cfg, cold_start=zero_label)
        except SQLAlchemyError as exc:
            raise _database_failed(cfg, exc) from None
        finally:
            db.dispose()
        title = "Sentiment: " + (
            f"shipped tone model ({stage.shipped})" if stage.model is None else f"model #{stage.model_id}"
        )
    else:
        odd = sorted({label for label in train_data[1] if label.casefold() not in SENTIMENT})
        if odd:
            raise _fail(
                f"--train labels must be positive, neutral, complaint or negative; found {', '.join(odd[:8])}"
            )
        marks = [SENTIMENT[label.casefold()] for label in train_data[1]]
        with console.status(f"Cleaning and redacting {len(marks):,} training rows, as stored posts are…"):
            train_texts = as_stored(chain_of(cfg, None, SentimentStage()), train_data[0])
        try:
            stage = SentimentStage(
                new_sentiment(cfg.embeddings, light=cfg.light_embeddings).fit(train_texts, marks)
            )
        except EmbeddingsUnavailable as exc:
            raise _fail(str(exc)) from None
        trained_on = len(marks)
        title = f"Sentiment: trained on {trained_on:,} rows"
    console.print(describe_sentiment(stage, cfg, trained_on), soft_wrap=True)
    # Sentiment reads only the text, so the chain runs without a classify stage.
    predicted = [str(item.fields["sentiment"]) for item in run_chain(chain_of(cfg, None, stage), texts)]
    _print_scores(score(truth, predicted, ["complaint", "neutral", "positive"]), title)
    if predictions is not None:
        write_predictions(predictions, texts, truth, predicted, predicted)
        console.print(f"Predictions written to {predictions}")
