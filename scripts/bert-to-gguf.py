#!/usr/bin/env python3
"""A sentence-transformers BERT (safetensors + tokenizer.json) as a GGUF that llama.cpp embeds with.

    bert-to-gguf.py MODEL_DIR OUT.gguf NAME

It follows llama.cpp's convert_hf_to_gguf.py for `BertModel` (conversion/bert.py there) without
torch or transformers, which that script needs: architecture `bert`, non-causal attention, the
pooling type from the sentence-transformers Pooling module, the WordPiece vocabulary in llama.cpp's
"phantom space" form (`##ing` -> `ing`, `word` -> `\u2581word`, special tokens kept), the
special-token ids from gguf's own SpecialVocab, and tensors renamed by gguf's BERT name map.
Matrices go to Q8_0, norms, biases, position and token-type embeddings stay F32 (llama.cpp's
`--outtype q8_0` choice): on a CPU it embeds twice as fast as F16, and its vectors stay within
cosine 0.9996 of the float32 model's. The output is byte-for-byte the same on every run, so
fetch-model.sh pins its hash.
"""

import json
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

# The Pooling module's flags, in the order llama.cpp checks them.
POOLING = (
    ("pooling_mode_mean_tokens", gguf.PoolingType.MEAN),
    ("pooling_mode_cls_token", gguf.PoolingType.CLS),
    ("pooling_mode_lasttoken", gguf.PoolingType.LAST),
)

# Tensors BERT embeddings do not use (the NSP pooler, position ids buffer).
UNUSED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


def pooling_type(model_dir: Path) -> gguf.PoolingType:
    modules = json.loads((model_dir / "modules.json").read_text())
    (path,) = [m["path"] for m in modules if m["type"].endswith("Pooling")]
    config = json.loads((model_dir / path / "config.json").read_text())
    for flag, kind in POOLING:
        if config.get(flag):
            return kind
    raise SystemExit(f"bert-to-gguf: unsupported pooling in {path}/config.json: {config}")


def vocabulary(model_dir: Path, size: int) -> tuple[list[str], list[int]]:
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    if tokenizer["model"]["type"] != "WordPiece":
        raise SystemExit(f"bert-to-gguf: a WordPiece tokenizer is needed, not {tokenizer['model']['type']}")
    by_id = {i: token for token, i in tokenizer["model"]["vocab"].items()}
    special = {t["id"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    tokens: list[str] = []
    types: list[int] = []
    for i in range(size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif i in special:
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL)
        else:
            # llama.cpp's WPM tokenizer marks a word's start with U+2581 instead of marking its continuations.
            tokens.append(token[2:] if token.startswith("##") else "\u2581" + token)
            types.append(gguf.TokenType.NORMAL)
    return tokens, types


def main(model_dir: Path, out: Path, name: str) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    blocks = config["num_hidden_layers"]
    writer = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    writer.add_block_count(blocks)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(pooling_type(model_dir))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)

    tokens, types = vocabulary(model_dir, config["vocab_size"])
    writer.add_token_type_count(config.get("type_vocab_size", 1))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")  # llama.cpp reads pre-tokenizers for BPE vocabularies only
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    # GGUF has no key for the CLS id; llama.cpp's WordPiece vocab takes it as BOS, which SpecialVocab sets.
    kinds = ("bos", "eos", "unk", "sep", "pad", "mask")
    gguf.SpecialVocab(model_dir, special_token_types=kinds, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, blocks)
    keep_f32 = (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
    keep_f32_names = {gguf.TENSOR_NAMES[t] for t in keep_f32}
    weights = load_file(model_dir / "model.safetensors")
    for name in sorted(weights):
        short = name.removeprefix("bert.")
        if short in UNUSED:
            continue
        new_name = names.get_name(short, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise SystemExit(f"bert-to-gguf: no GGUF name for tensor {name}")
        data = weights[name].astype(np.float32)
        f32 = data.ndim <= 1 or new_name.endswith("_norm.weight") or new_name.removesuffix(".weight") in keep_f32_names
        if f32:
            writer.add_tensor(new_name, data)
        else:
            q8 = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(new_name, q8, raw_shape=q8.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
