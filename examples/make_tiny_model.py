"""Build the tiny Llama-style model the quickstart trains on: no download, a few seconds on CPU.

A byte-level BPE tokenizer is trained on the example records and a two-layer Llama is built
from a config; both are saved as a Hugging Face folder that recipes point `model.path` at.

Example:
    python examples/make_tiny_model.py models/tiny
    python examples/make_tiny_model.py models/tiny --corpus examples/support_records.jsonl --hidden-size 128
"""

from __future__ import annotations

import argparse
from pathlib import Path

from govern.training.tiny import TINY_DEFAULTS, build_tiny_model, corpus_from_jsonl

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="folder to write the model and tokenizer into")
    parser.add_argument("--corpus", type=Path, default=HERE / "support_records.jsonl", help="JSONL records to train the tokenizer on")
    parser.add_argument("--fields", default="text,prompt,completion", help="comma-separated fields of each record to use")
    parser.add_argument("--seed", type=int, default=0)
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=TINY_DEFAULTS[key])
    args = parser.parse_args(argv)
    overrides = {k: getattr(args, k) for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads")}
    corpus = corpus_from_jsonl(args.corpus, tuple(args.fields.split(",")))
    path = build_tiny_model(args.output, corpus, seed=args.seed, **overrides)
    print(f"tiny model and tokenizer written to {path}")
    return path


if __name__ == "__main__":
    main()
