"""The embedding model in ONNX Runtime: exported once from the sentence-transformers model
(float32, or int8 by dynamic quantisation), cached on disk, and run without torch."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.made_once import made_once

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

ONNX_EXPORT_VERSION = "1"  # bump when the exported graph or its config changes
ONNX_CONFIG = "refark_onnx.json"  # written last: a folder with it is complete


class OnnxEncoder:
    """The exported graph (tokens → pooled vector) in ONNX Runtime, with the model's own
    tokenizer, prompts and maximum length; torch is not imported."""

    def __init__(self, folder: Path, threads: int | None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / ONNX_CONFIG).read_text(encoding="utf-8"))
        self.prompts = dict(config["prompts"])
        self._dimension = int(config["dimension"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config["max_seq_length"]))
        self._tokenizer.enable_padding(pad_id=int(config["pad_id"]), pad_token=config["pad_token"])
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def get_embedding_dimension(self) -> int | None:
        return self._dimension

    def encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        prefix = self.prompts[prompt_name] if prompt_name else ""
        encodings = self._tokenizer.encode_batch([prefix + text for text in texts])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        vectors = self._session.run(None, feeds)[0]
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)


def onnx_folder(source: str, cache_dir: Path, quantize: bool) -> Path:
    """Where the export of `source` for `backend` is cached: beside the converted model, named
    after the source folder or hub id plus a hash of it, so two sources never share a folder."""
    digest = hashlib.sha256(f"{source}\0{ONNX_EXPORT_VERSION}".encode()).hexdigest()[:10]
    backend = "onnx-int8" if quantize else "onnx"
    return cache_dir / f"{Path(source).name}-{backend}-{digest}"


def ensure_onnx(
    source: str, cache_dir: Path, quantize: bool, load: Callable[[str], SentenceTransformer]
) -> Path:
    """The ONNX export of a sentence-transformers model, made once; concurrent callers never
    see a half folder, and wait for the export rather than make their own."""
    return made_once(
        onnx_folder(source, cache_dir, quantize),
        ONNX_CONFIG,
        lambda staging: export_onnx(load(source), source, staging, quantize),
    )


def export_onnx(model: SentenceTransformer, source: str, out: Path, quantize: bool) -> None:
    """Trace the model's whole module chain (transformer, pooling, normalisation) into one
    graph. optimum (sentence-transformers' own ONNX route) is not used: optimum-onnx pins
    transformers < 4.58, and this project runs transformers 5."""
    import torch

    model = model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return self.model(features)["sentence_embedding"]

    # Two rows of unequal length: the traced graph keeps the padding-mask path.
    example = model.tokenizer(["a b c", "a"], padding=True, return_tensors="pt")
    float_path = out / ("float32.onnx" if quantize else "model.onnx")
    # The tracer warns that Python branches on shapes are frozen; the padded example takes
    # the general path, and the tests check the graph against torch on other shapes.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled().eval(),
            (example["input_ids"], example["attention_mask"]),
            str(float_path),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
        )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # Per-channel weights: mean cosine to torch 0.995 instead of 0.986 per-tensor, same speed.
        # The root-logger advice to pre-process the graph is for static quantisation.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(
                str(float_path),
                str(out / "model.onnx"),
                weight_type=QuantType.QInt8,
                per_channel=True,
            )
        finally:
            root.setLevel(level)
        float_path.unlink()
    model.tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    config = {
        "source": source,
        "quantized": quantize,
        "dimension": model.get_embedding_dimension(),
        "max_seq_length": model.max_seq_length,
        "prompts": dict(model.prompts or {}),
        "pad_id": model.tokenizer.pad_token_id,
        "pad_token": model.tokenizer.pad_token,
    }
    (out / ONNX_CONFIG).write_text(json.dumps(config, indent=1), encoding="utf-8")
