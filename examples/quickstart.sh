#!/usr/bin/env bash
# The README's main job, end to end on the shipped example data:
# register -> consent -> scan -> anonymize -> policy check -> approve -> DP-LoRA train -> verify.
# Usage: bash examples/quickstart.sh [WORKSPACE_DIR]   (default: ./quickstart, recreated each run)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ws="${1:-quickstart}"
rm -rf "$ws"

step() { printf '\n== %s\n' "$*"; }
json_field() { python -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

step "Create a workspace with its first admin key"
govern init "$ws"
export GOVERN_WORKSPACE="$ws"
admin="$ws/.govern/keys/admin.key"

step "Register an engineer and a compliance officer (the admin signs)"
govern keys create erin --role engineer --out "$ws/erin.key" --key "$admin"
govern keys create olga --role officer --out "$ws/olga.key" --key "$admin"
govern keys create aldo --role auditor --out "$ws/aldo.key" --key "$admin"

step "The officer puts the default policy pack in force (approvals and training use only it)"
govern policy activate default --reason "quickstart: the strict default regime" --key "$ws/olga.key"

step "Register the raw support tickets with their provenance"
raw=$(govern dataset add support-tickets "$here/quickstart/tickets.jsonl" \
  --source "example helpdesk export shipped with govern" --license CC-BY-4.0 \
  --legal-basis consent --jurisdiction EU --collected-at 2026-01-01 \
  --subject-field subject_id --text-field prompt --text-field completion --id-field id \
  --key "$ws/erin.key" --json | json_field snapshot)
echo "raw snapshot: $raw"

step "Import the subjects' consent records (the officer signs)"
govern consent import "$here/quickstart/consents.csv" --key "$ws/olga.key"

step "Scan the raw snapshot for personal data"
govern scan "$raw" --key "$ws/erin.key"

step "The raw snapshot fails the default policy pack (exit 1 expected)"
govern policy check "$raw" --key "$ws/erin.key" > "$ws/raw-decision.txt" || echo "refused, as expected: $(grep -c "\[FAIL\]" "$ws/raw-decision.txt") rules failed"

step "Anonymize it into a derived snapshot, and scan what remains"
clean=$(govern anonymize "$raw" --key "$ws/erin.key" --json | json_field snapshot)
echo "anonymized snapshot: $clean"

step "The anonymized snapshot passes the data rules; the officer approves it"
govern policy check "$clean" --key "$ws/erin.key" | tail -n 1 || true
govern approve "$clean" --note "quickstart: findings reviewed" --key "$ws/olga.key"

step "Build a tiny causal LM on the spot (no download) and train a DP-LoRA adapter through the gate"
python "$here/make_tiny_model.py" "$ws/models/tiny" > /dev/null
run=$(govern train train/dp-lora.toml --snapshot "$clean" --key "$ws/erin.key" --json | json_field run_id)
govern runs list

step "Trace the adapter back to its source file, and sign an in-toto attestation for it"
govern lineage show "$run"
govern attest "$run" --key "$ws/erin.key" --out "$ws/$run.intoto.json"
govern attest verify "$ws/$run.intoto.json"

step "Render the compliance reports (the auditor signs their ledger entries)"
govern report dataset "$clean" --format html --key "$ws/aldo.key"
govern report run "$run" --format html --key "$ws/aldo.key"
govern report run "$run" --format md --key "$ws/aldo.key"

step "Verify the ledger, every signature, the catalog and the stored bytes"
govern audit verify
