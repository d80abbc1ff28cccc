"""`earful eval` and `earful eval-sentiment` on CSVs anyone can write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sklearn.metrics import recall_score
from typer.testing import CliRunner

from earful.cli.app import app
from earful.ml import tone
from earful.ml.taxonomy import DEFAULT
from earful.ml.taxonomy import __file__ as taxonomy_module

runner = CliRunner()
TAXONOMY = Path(taxonomy_module).parent / "data" / DEFAULT


def _csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_eval_prints_per_category_scores_and_a_confusion_matrix(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    train = _csv(
        tmp_path / "train.csv",
        [
            ("app crashed when I opened my route", "app.crashes_login"),
            ("logged out again mid block", "Crashes and login"),
            ("customer never tipped though she said she did", "pay.tips"),
            ("my tips are missing this week", "pay.tips"),
        ],
    )
    test = _csv(
        tmp_path / "test.csv",
        [("the app crashed twice today", "app.crashes_login"), ("no tips showed up again", "pay.tips")],
    )
    result = runner.invoke(
        app,
        [
            "eval",
            "--taxonomy",
            str(TAXONOMY),
            "--train",
            str(train),
            "--test",
            str(test),
            "--shots",
            "2",
            "--seeds",
            "2",
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "app.crashes_login" in result.output and "macro-F1" in result.output
    assert "Confusion matrix" in result.output and "over 2 seeds" in result.output
    keywords = runner.invoke(app, ["eval", "--taxonomy", str(TAXONOMY), "--test", str(test)], env=cli_env)
    assert keywords.exit_code == 0 and "keyword/cold-start" in keywords.output


def test_eval_explains_a_wrong_column_or_label(tmp_path: Path, cli_env: dict[str, str]) -> None:
    test = _csv(tmp_path / "t.csv", [("x", "app.crashes_login")], header=("body", "label"))
    result = runner.invoke(app, ["eval", "--taxonomy", str(TAXONOMY), "--test", str(test)], env=cli_env)
    assert result.exit_code == 1 and "--text-column" in result.output
    bad = _csv(tmp_path / "b.csv", [("x", "strikes")])
    result = runner.invoke(app, ["eval", "--taxonomy", str(TAXONOMY), "--test", str(bad)], env=cli_env)
    assert result.exit_code == 1 and "not leaf categories" in " ".join(result.output.split())


def test_eval_sentiment_with_and_without_training(tmp_path: Path, cli_env: dict[str, str]) -> None:
    rows = [
        ("app broken again, never paid", "negative"),
        ("thanks for the quick fix, great support", "positive"),
        ("route 14 today", "neutral"),
        ("sigo esperando mi pago, una vergüenza", "complaint"),
    ]
    test = _csv(tmp_path / "s.csv", rows, header=("tweet", "sentiment"))
    args = ["eval-sentiment", "--test", str(test), "--text-column", "tweet", "--label-column", "sentiment"]
    built_in = runner.invoke(app, args, env=cli_env)
    assert built_in.exit_code == 0, built_in.output
    # It scores the shipped tone model, as the server runs it before any label.
    said = [tone.shipped().score(text)[0] for text, _ in rows]
    truth = ["complaint" if label == "negative" else label for _, label in rows]
    expected = recall_score(truth, said, labels=["complaint", "neutral", "positive"], average="macro")
    assert f"macro-recall {expected:.3f}" in built_in.output
    trained = runner.invoke(app, [*args, "--train", str(test)], env=cli_env)
    assert trained.exit_code == 0 and "trained on 4 rows" in " ".join(trained.output.split())


def test_a_model_trained_by_eval_reads_its_rows_as_stored_posts(
    tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The learning loop trains on stored posts, which were cleaned and redacted; `--train` must
    train on the same text, or it learns handles and addresses that the scored rows no longer hold."""
    from earful.ml.trained import TrainedClassifier, TrainedSentiment

    seen: dict[str, list[str]] = {}
    fit_classifier, fit_sentiment = TrainedClassifier.fit, TrainedSentiment.fit

    def spy_classifier(self: TrainedClassifier, texts: list[str], labels: list[str]) -> TrainedClassifier:
        seen["classifier"] = list(texts)
        return fit_classifier(self, texts, labels)

    def spy_sentiment(self: TrainedSentiment, texts: list[str], labels: list[str]) -> TrainedSentiment:
        seen["sentiment"] = list(texts)
        return fit_sentiment(self, texts, labels)

    monkeypatch.setattr(TrainedClassifier, "fit", spy_classifier)
    monkeypatch.setattr(TrainedSentiment, "fit", spy_sentiment)
    raw = [
        (
            "@dani_rides_88 app crashed &amp; logged me out, mail me at dani.r@example.com",
            "app.crashes_login",
        ),
        ("my tips are missing this week, call me on +44 7700 900123", "pay.tips"),
    ]
    train = _csv(tmp_path / "train.csv", raw)
    test = _csv(tmp_path / "test.csv", [("the app crashed twice today", "app.crashes_login")])
    result = runner.invoke(
        app, ["eval", "--taxonomy", str(TAXONOMY), "--train", str(train), "--test", str(test)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    sentiment_rows = _csv(
        tmp_path / "s.csv", [(raw[0][0], "complaint"), ("thanks @dani_rides_88!", "positive")]
    )
    result = runner.invoke(
        app, ["eval-sentiment", "--train", str(sentiment_rows), "--test", str(sentiment_rows)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    for kind in ("classifier", "sentiment"):
        first = seen[kind][0]
        assert "dani" not in first and "example.com" not in first, (kind, first)
        assert "[HANDLE]" in first and "[EMAIL]" in first and "&amp;" not in first, (kind, first)
    assert "[PHONE]" in seen["classifier"][1] and "7700" not in seen["classifier"][1]
