"""What `earful eval` and `earful eval-sentiment` run: the enrichment chain the server builds
(`ingest.stages`), and a line saying which configuration was scored."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from earful.ml.embeddings import E5Embedder
from earful.ml.minilm import MiniLMEmbedder
from earful.ml.trained import TrainedClassifier, TrainedSentiment, model_name
from earful.pipeline.chain import TEXT_STAGES, Chain
from earful.pipeline.classify import ClassifyStage
from earful.pipeline.sentiment import SentimentStage
from earful.pipeline.stage import WorkItem
from earful.settings import Settings

NO_LABEL = "(none)"


def run_chain(chain: Chain, texts: Sequence[str]) -> list[WorkItem]:
    """Enrich each text as the worker enriches a post without a title; return what the chain wrote."""
    items = []
    for text in texts:
        item = WorkItem(text=text)
        chain.run(item)
        items.append(item)
    return items


def as_stored(chain: Chain, texts: Sequence[str]) -> list[str]:
    """Return each text as the server stores a post: through `chain`'s stages up to the last one
    that rewrites the text (cleaning, language, redaction). The learning loop trains on stored
    posts, so a model trained here must read the same text: trained on the raw text, it learns
    handles, names and addresses it will never see again in place of the `[HANDLE]`-style marks
    it will see (on airline tweets, 32 labels a reason, that cost about 3 points of macro-F1)."""
    last = max(i for i, stage in enumerate(chain.stages) if stage.name in TEXT_STAGES)
    return [item.text for item in run_chain(Chain(chain.stages[: last + 1]), texts)]


def label_keys(item: WorkItem) -> list[str]:
    """Return the leaf keys the classify stage gave the item, surest first."""
    return [str(label["key"]) for label in item.fields.get("labels", [])]


def embeddings_setting(settings: Settings) -> str:
    """Say whether EARFUL_EMBEDDINGS is on, and with which model new models would be trained."""
    if settings.embeddings:
        return f"EARFUL_EMBEDDINGS on ({E5Embedder.name})"
    light = f"light embeddings ({MiniLMEmbedder.name})" if settings.light_embeddings else "n-grams alone"
    return f"EARFUL_EMBEDDINGS off, {light}"


def _model(kind: str, model: TrainedClassifier | TrainedSentiment, model_id: int, trained_on: int) -> str:
    who = f"model #{model_id} in use" if model_id else f"a model trained here on {trained_on:,} rows"
    uses = f"embeddings {model.embedder_name}" if model.embedder_name else "no embeddings"
    return f"{kind} {who} ({model_name(model)}, {uses})"


def describe_classifier(stage: ClassifyStage, taxonomy: str, settings: Settings, trained_on: int = 0) -> str:
    """Return the configuration a classify stage stands for, in one line."""
    if isinstance(stage.classifier, TrainedClassifier):
        what = _model("classifier", stage.classifier, stage.model_id, trained_on)
    else:
        what = f"classifier keyword/cold-start ({stage.model})"
    return f"Scored: {what}; {taxonomy}; {embeddings_setting(settings)}; through the enrichment chain"


def describe_sentiment(stage: SentimentStage, settings: Settings, trained_on: int = 0) -> str:
    """Return the configuration a sentiment stage stands for, in one line."""
    if isinstance(stage.model, TrainedSentiment):
        what = _model("sentiment", stage.model, stage.model_id, trained_on)
    else:
        what = f"sentiment: shipped tone model {stage.shipped} (cold-start)"
    return f"Scored: {what}; {embeddings_setting(settings)}; through the enrichment chain"


def write_predictions(
    path: Path, texts: Sequence[str], truth: Sequence[str], predicted: Sequence[str], every: Sequence[str]
) -> None:
    """Write one row a text: its text, true label, predicted label and every label given."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("text", "label", "predicted", "labels"))
        writer.writerows(zip(texts, truth, predicted, every, strict=True))
