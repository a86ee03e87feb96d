#!/usr/bin/env bash
# Checks schemas/jobs.schema.json against the jobs files of the repository:
#   1. the schema itself is valid JSON Schema;
#   2. every examples/*.yaml passes it;
#   3. every invalid fixture of the CLI tests fails it, except those listed in
#      schema-cannot-express.txt (problems only `jobrun --validate` can find).
#
# Usage:  scripts/check-schema.sh          (from anywhere; it works in the repo root)
# Needs:  check-jsonschema on PATH (pip install check-jsonschema)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

schema=schemas/jobs.schema.json
fixtures=Tests/JobrunCLITests/Fixtures/invalid
exceptions=$fixtures/schema-cannot-express.txt

# A broken schema would make every fixture "fail", so check it first.
check-jsonschema --quiet --check-metaschema "$schema"

examples=(examples/*.yaml)
check-jsonschema --quiet --schemafile "$schema" "${examples[@]}"

checked=0
skipped=0
wrongly_passing=()
for file in "$fixtures"/*.yaml; do
    if grep -qxF "$(basename "$file")" "$exceptions"; then
        skipped=$((skipped + 1))
        continue
    fi
    checked=$((checked + 1))
    if check-jsonschema --quiet --schemafile "$schema" "$file" >/dev/null 2>&1; then
        wrongly_passing+=("$file")
    fi
done

if ((${#wrongly_passing[@]} > 0)); then
    echo "The schema accepts invalid fixtures that it should reject:" >&2
    printf '  %s\n' "${wrongly_passing[@]}" >&2
    echo "Tighten the schema (scripts/gen-jobs-schema.py), or list the fixture in $exceptions" >&2
    echo "if JSON Schema cannot express the problem." >&2
    exit 1
fi

echo "schema ok: ${#examples[@]} examples pass, $checked invalid fixtures rejected ($skipped listed as beyond JSON Schema)"
