#!/usr/bin/env bash
# Streaming memory benchmark: push and pull one large file (default 2 GiB) through the real
# binaries on the embedded default (SQLite + local folder) and report the peak RSS of the
# server and of the CLI, with throughput as a ratio to `cp` and `sha256sum` of the same file
# measured in the same run.
#
#   bench/stream-rss.sh            # 2 GiB
#   SIZE_MIB=512 bench/stream-rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."

size_mib=${SIZE_MIB:-2048}
work=$(mktemp -d "${TMPDIR:-/tmp}/modelreg-bench.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --locked --bin modelreg-server --bin modelreg >&2
bin=${CARGO_TARGET_DIR:-target}/release

mkdir -p "$work/model" "$work/data"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/model/weights.bin"

# seconds and peak RSS (KiB) of a command, via GNU time
measure() { /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" >/dev/null; cat "$work/time.out"; }

sync
read -r cp_s _ < <(measure cp "$work/model/weights.bin" "$work/copy.bin")
rm -f "$work/copy.bin"
read -r sha_s _ < <(measure sha256sum "$work/model/weights.bin")

"$bin/modelreg-server" --data-dir "$work/data" token create --name bench --scope write > "$work/token"
"$bin/modelreg-server" --data-dir "$work/data" --bind 127.0.0.1:0 2> "$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/server.log" | head -1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { cat "$work/server.log" >&2; exit 1; }

export MODELREG_URL=$url MODELREG_TOKEN
MODELREG_TOKEN=$(cat "$work/token")
read -r push_s push_kib < <(measure "$bin/modelreg" -q push "$work/model" --model bench/big --version 1.0.0 --license MIT)
read -r pull_s pull_kib < <(measure "$bin/modelreg" -q pull bench/big@1.0.0 -o "$work/out")
cmp "$work/model/weights.bin" "$work/out/weights.bin"
server_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mibs() { awk -v m="$size_mib" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }'; }
cat <<REPORT
file: ${size_mib} MiB, embedded default (SQLite + local folder), release build
| step | seconds | MiB/s | vs cp | vs sha256sum | peak RSS |
|---|---|---|---|---|---|
| cp (baseline) | $cp_s | $(mibs "$cp_s") | 1.00 | | |
| sha256sum (baseline) | $sha_s | $(mibs "$sha_s") | | 1.00 | |
| modelreg push | $push_s | $(mibs "$push_s") | $(ratio "$cp_s" "$push_s") | $(ratio "$sha_s" "$push_s") | $((push_kib / 1024)) MiB (CLI) |
| modelreg pull | $pull_s | $(mibs "$pull_s") | $(ratio "$cp_s" "$pull_s") | $(ratio "$sha_s" "$pull_s") | $((pull_kib / 1024)) MiB (CLI) |
| server over both | | | | | $((server_kib / 1024)) MiB |
REPORT
