#!/usr/bin/env bash
# benchmarks/train_gpu.py on a GPU machine that has torch, transformers and peft but not govern's
# other dependencies and no network. Prepared on a machine with govern installed:
#   python benchmarks/train_gpu.py --prepare-world .gpuworld
#   .whl/site.tar.xz: govern's missing dependencies for the GPU machine's Python (cp312 wheels of
#   sqlalchemy, sqlmodel, pydantic, cryptography, opacus, presidio-analyzer, spacy and the spaCy
#   model, ... unpacked into gsite/, .so files stripped), both git-ignored.
set -uo pipefail
export PYTHONUNBUFFERED=1
OUT="${OUT:-/tmp/gpu-out}"; mkdir -p "$OUT"
tar -xJf .whl/site.tar.xz -C /tmp || exit 2
export PYTHONPATH=/tmp/gsite:$PWD
# the world's recipe and keys name absolute paths under the checkout it was prepared in
if [ ! -e /work/main ]; then mkdir -p /work && ln -s "$PWD" /work/main; fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import sys, torch, transformers, peft, opacus; print(sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__, opacus.__version__)"
timeout 90 python3 -m pytest -q -p no:cacheprovider tests/training/test_train_secure_rng.py -k top_52 2>&1 | tail -2
timeout 120 python3 benchmarks/train_gpu.py --world .gpuworld --model .gpuworld/tiny-model --steps 3 --rounds 1 --batch 8 --max-length 128 2>&1 | tee "$OUT/tiny.log" | tail -6
timeout 100 python3 benchmarks/train_gpu.py --build-model /tmp/big
timeout 330 python3 benchmarks/train_gpu.py --world .gpuworld --model /tmp/big --dtype bfloat16 --steps 20 --rounds 3 --batch 32 --max-length 256 2>&1 | tee "$OUT/big.log" | grep -v Loading | tail -14
