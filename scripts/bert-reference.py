#!/usr/bin/env python3
"""Reference sentence embeddings of a sentence-transformers BERT, computed with numpy alone.

    bert-reference.py MODEL_DIR OUT.json

Nothing here is shared with llama.cpp or with bert-to-gguf.py: its own WordPiece tokenizer (BERT's
basic tokenizer, lowercased, then greedy longest-match), the encoder's forward pass in float32 from
the safetensors weights, mean pooling over the tokens and L2 normalisation (the model's
sentence-transformers modules). The router's integration test embeds the same sentences through
llama.cpp and compares: a wrong conversion, tokenizer or pooling shows up as a low cosine.
"""

import json
import math
import sys
import unicodedata
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Boundary-layer transition on swept wings at supersonic speeds.",
    "Interest rates rose sharply in the last quarter, unsettling investors!",
]


def is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    words: list[str] = []
    current = ""
    for ch in text:
        if ch.isspace() or is_punctuation(ch):
            if current:
                words.append(current)
            current = ""
            if not ch.isspace():
                words.append(ch)
        else:
            current += ch
    if current:
        words.append(current)
    return words


def wordpiece(word: str, vocab: dict[str, int]) -> list[int]:
    ids: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                ids.append(vocab[piece])
                break
            end -= 1
        if end == start:
            return [vocab["[UNK]"]]
        start = end
    return ids


def tokenize(text: str, vocab: dict[str, int]) -> list[int]:
    ids = [vocab["[CLS]"]]
    for word in basic_tokens(text):
        ids += wordpiece(word, vocab)
    return ids + [vocab["[SEP]"]]


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(np.float32)


def embed(ids: list[int], w: dict[str, np.ndarray], config: dict) -> np.ndarray:
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)

    def linear(v: np.ndarray, name: str) -> np.ndarray:
        return v @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}"
        q, k, v = (linear(x, f"{p}.attention.self.{m}") for m in ("query", "key", "value"))
        d = q.shape[-1] // heads
        q, k, v = (t.reshape(n, heads, d).transpose(1, 0, 2) for t in (q, k, v))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ v).transpose(1, 0, 2).reshape(n, heads * d)
        x = layer_norm(
            x + linear(context, f"{p}.attention.output.dense"),
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
            eps,
        )
        hidden = gelu(linear(x, f"{p}.intermediate.dense"))
        x = layer_norm(
            x + linear(hidden, f"{p}.output.dense"),
            w[f"{p}.output.LayerNorm.weight"],
            w[f"{p}.output.LayerNorm.bias"],
            eps,
        )
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def main(model_dir: Path, out: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    vocab = tokenizer["model"]["vocab"]
    weights = {k.removeprefix("bert."): v.astype(np.float32) for k, v in load_file(model_dir / "model.safetensors").items()}
    references = []
    for text in SENTENCES:
        ids = tokenize(text, vocab)
        references.append({"text": text, "tokens": len(ids), "embedding": embed(ids, weights, config).tolist()})
    out.write_text(json.dumps({"pooling": "mean", "normalized": True, "sentences": references}) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
