"""`earful eval` and `earful eval-sentiment`: measure Earful's models on your own labelled data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from earful.cli.context import console, err
from earful.ml.evaluate import EvalDataError, Scores, over_seeds, read_labelled, sample_shots, score
from earful.ml.keywords import KeywordClassifier
from earful.ml.taxonomy import Taxonomy, TaxonomyError, load
from earful.ml.trained import TrainedClassifier, leaves, train_text_classifier
from earful.pipeline.sentiment import score_text

SENTIMENT = {"negative": "complaint", "complaint": "complaint", "neutral": "neutral", "positive": "positive"}
NO_LABEL = "(none)"


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


def eval_command(
    taxonomy_path: Path = typer.Option(..., "--taxonomy", exists=True, dir_okay=False, help="Taxonomy YAML."),
    test: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV of labelled posts to score on."),
    train: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="CSV of labelled posts to train on (none: keywords only)."
    ),
    shots: int | None = typer.Option(None, min=1, help="Train on at most this many posts per category."),
    seeds: int = typer.Option(1, min=1, help="Repeat with this many random draws of the shots."),
    text_column: str = typer.Option("text", help="Column holding the post text."),
    label_column: str = typer.Option("label", help="Column holding the category key or name."),
) -> None:
    """Score the taxonomy classifier on labelled CSVs: per-category precision/recall/F1, confusion matrix."""
    try:
        taxonomy = load(taxonomy_path)
        test_texts, raw_test_labels = read_labelled(test, text_column, label_column)
        train_data = read_labelled(train, text_column, label_column) if train else None
    except (TaxonomyError, EvalDataError) as exc:
        raise _fail(str(exc)) from None
    test_labels = _as_keys(taxonomy, raw_test_labels, test.name)
    labels = sorted(set(test_labels))

    if train_data is None:
        classifier = KeywordClassifier(taxonomy)
        predicted = [next(iter(classifier.predict(t)), None) for t in test_texts]
        keys = [p.key if p else NO_LABEL for p in predicted]
        _print_scores(score(test_labels, keys, [*labels, NO_LABEL]), f"{taxonomy.name}: keywords only")
        return
    train_texts, train_labels = train_data[0], _as_keys(taxonomy, train_data[1], train.name if train else "")

    def run(seed: int) -> Scores:
        texts, marks = (
            sample_shots(train_texts, train_labels, shots, seed) if shots else (train_texts, train_labels)
        )
        model = TrainedClassifier(taxonomy).fit(texts, marks)
        return score(test_labels, model.predict_keys(test_texts), labels)

    first, mean, spread = over_seeds(run, seeds if shots else 1)
    how = f"{shots} per category, {seeds} seed(s)" if shots else "all training rows"
    _print_scores(first, f"{taxonomy.name}: trained on {how}")
    if shots and seeds > 1:
        console.print(f"macro-F1 over {seeds} seeds: {mean:.3f} ± {spread:.3f}")


def eval_sentiment_command(
    test: Path = typer.Option(..., exists=True, dir_okay=False, help="CSV of labelled posts to score on."),
    train: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="CSV to train a model on (none: the built-in scorer)."
    ),
    text_column: str = typer.Option("text", help="Column holding the post text."),
    label_column: str = typer.Option(
        "label", help="Column holding positive, neutral, complaint (or negative)."
    ),
) -> None:
    """Score sentiment on a labelled CSV: per-class precision/recall/F1, macro-recall, confusion matrix."""
    try:
        texts, raw = read_labelled(test, text_column, label_column)
        train_data = read_labelled(train, text_column, label_column) if train else None
    except EvalDataError as exc:
        raise _fail(str(exc)) from None
    bad = sorted({label for label in raw if label.casefold() not in SENTIMENT})
    if bad:
        raise _fail(f"labels must be positive, neutral, complaint or negative; found {', '.join(bad[:8])}")
    truth = [SENTIMENT[label.casefold()] for label in raw]
    order = ["complaint", "neutral", "positive"]
    if train_data is None:
        predicted = [score_text(text)[0] for text in texts]
        title = "Sentiment: built-in scorer (no training)"
    else:
        marks = [SENTIMENT.get(label.casefold(), label) for label in train_data[1]]
        model = train_text_classifier(train_data[0], marks)
        predicted = [str(p) for p in model.predict(texts)]
        title = f"Sentiment: TF-IDF + logistic regression trained on {len(marks):,} rows"
    _print_scores(score(truth, predicted, order), title)
