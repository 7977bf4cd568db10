#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies: pip-audit over requirements/runtime.txt and
# requirements/dev.txt exactly as pinned (no install, no resolution: --disable-pip reads the
# hash-pinned lock as it is). CI runs it. Exit status:
#   0  every locked package was looked up and none has a known vulnerability
#   1  a locked version has a known vulnerability (listed, with the fixed versions)
#   3  some packages could not be looked up (the vulnerability service did not answer for them):
#      never reported as a pass, since pip-audit itself would say "No known vulnerabilities"
#      AUDIT_ALLOW_UNAUDITED=1 turns this case into a warning and exit 0 (vulnerabilities still fail)
#   bash scripts/audit_deps.sh                   # PyPI's vulnerability data (pip-audit's default)
#   AUDIT_SERVICE=osv bash scripts/audit_deps.sh # the OSV database instead
# A finding is fixed by moving the package within its allowed range and re-locking:
#   bash scripts/lock.sh --upgrade-package NAME  (Django stays on 5.2.x, the LTS)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

ensure_tools
SERVICE="${AUDIT_SERVICE:-pypi}"
REPORT=var/pip-audit.json
mkdir -p var
rm -f "$REPORT"
say "pip-audit ($SERVICE) over requirements/runtime.txt and requirements/dev.txt"
status=0
.venv-tools/bin/pip-audit --vulnerability-service "$SERVICE" --disable-pip --require-hashes \
    --progress-spinner off --cache-dir var/pip-audit-cache --desc on --format json \
    --output "$REPORT" -r requirements/runtime.txt -r requirements/dev.txt \
    2> >(grep -v "^WARNING: Location 'file:" >&2) || status=$?

.venv-tools/bin/python - "$REPORT" "$status" "${AUDIT_ALLOW_UNAUDITED:-0}" <<'PY'
import json, sys
from pathlib import Path

report, status, allow_unaudited = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
if not report.exists():
    print(f"pip-audit stopped (exit {status}) without a report: the vulnerability service could "
          "not be reached (see its error above). NOTHING WAS AUDITED.", file=sys.stderr)
    sys.exit(0 if allow_unaudited else 3)
dependencies = json.loads(report.read_text())["dependencies"]
vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if d.get("skip_reason")]
audited = len(dependencies) - len(skipped)
for d in vulnerable:
    for v in d["vulns"]:
        fixed = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
        print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixed})")
        if v.get("description"):
            print(f"    {v['description'].splitlines()[0][:200]}")
for d in skipped:
    print(f"NOT AUDITED {d['name']}: {d['skip_reason']}")
print(f"{audited} of {len(dependencies)} locked packages audited, {len(vulnerable)} vulnerable, "
      f"{len(skipped)} could not be looked up")
if vulnerable:
    sys.exit(1)
if skipped:
    print("Some packages could not be audited: that is not a pass.", file=sys.stderr)
    sys.exit(0 if allow_unaudited else 3)
print("No known vulnerabilities in the locked versions")
PY
