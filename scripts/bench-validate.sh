#!/usr/bin/env bash
# Measures `jobrun --validate` on a generated file of 100,000 tasks (about 10 MB): wall
# time and peak memory of a release build, next to PyYAML's C loader reading the same
# file in the same run. Usage: scripts/bench-validate.sh [TASKS]
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-100000}
work=scripts/.bench
mkdir -p "$work"
file="$work/tasks-$tasks.yaml"

python3 - "$tasks" "$file" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
# About 100 bytes a task, the four kinds of task in turn.
kinds = [
    '    command: echo {i}\n    schedule: "{m} 2 * * *"\n    count: 1\n',
    '    command: [gzip, -k, data-{i}.csv]\n    retries: 2\n',
    '    type: http\n    http: {{url: "http://127.0.0.1/h/{i}"}}\n',
    '    type: email\n    email: {{to: [ops@example.com]}}\n    after: [t{p}]\n',
]
with open(path, "w") as f:
    f.write("version: 1\nworkers: 8\ntimezone: Europe/Berlin\ndefaults:\n  timeout: 10m\ntasks:\n")
    for i in range(n):
        f.write(f"  - name: t{i}\n    priority: {i % 101}\n    schedule: +{i % 3600}s\n" if i % 4 not in (0,) else f"  - name: t{i}\n    priority: {i % 101}\n")
        f.write(kinds[i % 4].format(i=i, m=i % 60, p=max(i - 1, 0)))
PY

swift build -c release --product jobrun >/dev/null
bin=$(swift build -c release --show-bin-path)/jobrun
size=$(du -m "$file" | cut -f1)

measure() {  # label command...
    local label=$1; shift
    /usr/bin/time -o "$work/time" -f '%e %M' "$@" >/dev/null 2>&1 || true
    local out secs kb
    out=$(tail -1 "$work/time")
    secs=${out% *} kb=${out#* }
    printf '%-34s %7.2f s %8d MB\n' "$label" "$secs" $((kb / 1024))
    echo "$secs" >"$work/last"
}

echo "file: $file ($tasks tasks, ${size} MB)"
"$bin" --validate "$file" | tail -1
measure "jobrun --validate (release)" "$bin" --validate "$file"
ours=$(cat "$work/last")
measure "PyYAML CLoader (yaml.load only)" python3 -c 'import sys, yaml; yaml.load(open(sys.argv[1]), Loader=yaml.CLoader)' "$file"
theirs=$(cat "$work/last")
python3 -c "import sys; o,t=float(sys.argv[1]),float(sys.argv[2]); print(f'ratio jobrun / PyYAML: {o/t if t else 0:.3f}')" "$ours" "$theirs"
