#!/usr/bin/env bash
# The software bill of materials: a CycloneDX 1.6 JSON document of what the application ships,
# i.e. every package pinned in requirements/runtime.txt (name, version, package URL and the
# artifact hashes of the lock) under the project's own component from pyproject.toml.
# Written to var/sbom.cdx.json (not committed; CI builds it on every run), or to the path given:
#   bash scripts/sbom.sh [OUTPUT]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

ensure_tools
OUTPUT="${1:-var/sbom.cdx.json}"
mkdir -p "$(dirname "$OUTPUT")"
say "CycloneDX SBOM of requirements/runtime.txt -> $OUTPUT"
# (a requirements file carries no dependency graph: cyclonedx warns about that, not an error)
PYTHONWARNINGS=ignore::UserWarning .venv-tools/bin/cyclonedx-py requirements --pyproject pyproject.toml --mc-type application \
    --spec-version 1.6 --output-format JSON --validate --output-file "$OUTPUT" \
    requirements/runtime.txt
.venv-tools/bin/python - "$OUTPUT" requirements/runtime.txt <<'PY'
import json, re, sys

bom = json.load(open(sys.argv[1]))
pins = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", open(sys.argv[2]).read(), re.M))
names = {c["name"].lower() for c in bom.get("components", [])}
missing = sorted(pins - names)
if missing:
    sys.exit(f"the SBOM lacks locked packages: {', '.join(missing)}")
print(f"{len(names)} components, {bom['metadata']['component']['name']} "
      f"{bom['metadata']['component'].get('version', '')} (CycloneDX {bom['specVersion']})")
PY
