#!/usr/bin/env bash
# The README's main job, end to end on the shipped example data.
# Usage: bash examples/quickstart.sh [WORKSPACE_DIR]   (default: ./quickstart, recreated each run)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ws="${1:-quickstart}"
rm -rf "$ws"

step() { printf '\n== %s\n' "$*"; }

step "Create a workspace with its first admin key"
govern init "$ws"
export GOVERN_WORKSPACE="$ws"
admin="$ws/.govern/keys/admin.key"

step "Register an engineer and a compliance officer (admin signs)"
govern keys create erin --role engineer --out "$ws/erin.key" --key "$admin"
govern keys create olga --role officer --out "$ws/olga.key" --key "$admin"

step "Register the example dataset with its provenance; print its first snapshot id"
snapshot=$(govern dataset add support-tickets "$here/support_records.jsonl" \
  --source "example helpdesk export shipped with govern" --license CC-BY-4.0 \
  --legal-basis consent --jurisdiction EU --subject-field subject_id \
  --text-field text --id-field id --key "$ws/erin.key" --json \
  | python -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
echo "snapshot: $snapshot"
govern snapshot show "$snapshot"

step "Verify the ledger, the catalog and the stored bytes"
govern audit verify
govern audit log
