"""One rank of a torchrun DP-LoRA run, for the distributed test.

usage: torchrun --standalone --nproc_per_node 2 run_distributed.py RECIPE_JSON BASE_DIR RUN_DIR OUT_DIR
Each rank writes OUT_DIR/rank-R.json with its result and the hash of its final adapter weights.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from govern.canonical import hash_value
from govern.training import RecordsData, recipe_from_dict, train

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "support_records.jsonl"


def main() -> None:
    raw, base_dir, run_dir, out_dir = json.loads(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    torch.set_num_threads(1)
    recipe = recipe_from_dict(raw, base_dir=base_dir)
    result = train(recipe, RecordsData.from_jsonl(EXAMPLES, "snap-support-1"), run_dir=run_dir)
    rank = torch.distributed.get_rank()
    from safetensors.torch import load_file

    weights = load_file(Path(result["adapter_dir"]) / "adapter_model.safetensors")
    digest = hash_value({k: v.flatten().tolist() for k, v in sorted(weights.items())})
    (out_dir / f"rank-{rank}.json").write_text(json.dumps({"result": result, "world_size": torch.distributed.get_world_size(), "adapter": digest}))
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
