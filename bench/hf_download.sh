#!/usr/bin/env bash
# Hugging Face download benchmark (issue 11): one large file (default 1 GiB) pushed once, then
# fetched, each into a cold destination, by
#   - curl GET of the blob on /v1 (the baseline: the server's raw streaming rate),
#   - `modelreg pull` (hashes and verifies every byte),
#   - `hf_hub_download` with huggingface_hub 2.x and 0.36 through /hf (the venvs of
#     scripts/test.d/hf.sh; run ./scripts/test once, or this script builds them),
# against the release server on the embedded default (SQLite + local folder), loopback only.
# Prints seconds, MiB/s and the ratio of each to the baseline measured in the same run.
#
#   bench/hf_download.sh                 # 1 GiB
#   BIG_MIB=256 bench/hf_download.sh     # a quick run
#   NO_BUILD=1 bench/hf_download.sh      # release binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

big_mib=${BIG_MIB:-1024}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/modelreg-hf-bench.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { echo "bench/hf_download: $*" >&2; }
die() { say "error: $*"; exit 1; }
if [[ ! -x .venv-hf2/bin/python || ! -x .venv-hf036/bin/python ]]; then
  # shellcheck source=/dev/null
  source scripts/test.d/hf.sh
fi

[ -n "${NO_BUILD:-}" ] || cargo build --release --locked --bin modelreg-server --bin modelreg >&2
bin=${CARGO_TARGET_DIR:-target}/release

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
token=$("$bin/modelreg-server" --data-dir "$work/data" token create --name bench --scope admin 2>/dev/null)
"$bin/modelreg-server" --data-dir "$work/data" --bind "127.0.0.1:$port" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done

mkdir -p "$work/model"
head -c "$((big_mib << 20))" /dev/urandom >"$work/model/big.bin"
digest=sha256:$(sha256sum "$work/model/big.bin" | cut -d' ' -f1)
MODELREG_URL=$url MODELREG_TOKEN=$token "$bin/modelreg" -q push "$work/model" --model bench/big --version 1.0.0 --license MIT >&2
rm -f "$work/model/big.bin"
sync

# Prints the wall-clock seconds of a command (cold destination each time).
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >&2
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

base=$(seconds curl -fsS -o "$work/curl.bin" -H "Authorization: Bearer $token" "$url/v1/blobs/$digest")
rm -f "$work/curl.bin"
pull=$(seconds env MODELREG_URL="$url" MODELREG_TOKEN="$token" MODELREG_NO_CACHE=1 \
  "$bin/modelreg" -q pull bench/big@1.0.0 -o "$work/pulled")
rm -rf "$work/pulled"
hf() {
  env HF_ENDPOINT="$url/hf" HF_TOKEN="$token" HF_HOME="$work/hf-$1" HF_HUB_DISABLE_PROGRESS_BARS=1 \
    HF_HUB_DISABLE_TELEMETRY=1 ".venv-$1/bin/python" -c \
    'from huggingface_hub import hf_hub_download; hf_hub_download("bench/big", "big.bin", revision="1.0.0")'
}
hf2=$(seconds hf hf2)
rm -rf "$work/hf-hf2"
hf036=$(seconds hf hf036)
rm -rf "$work/hf-hf036"

rate() { echo "scale=0; $big_mib / $1" | bc -l; }
ratio() { echo "scale=2; $2 / $1" | bc -l; }
cat <<EOF2
| $big_mib MiB, embedded default, loopback | seconds | MiB/s | time / baseline |
|---|---|---|---|
| curl GET /v1/blobs (baseline) | $(printf %.2f "$base") | $(rate "$base") | 1.00 |
| modelreg pull (verified, no cache) | $(printf %.2f "$pull") | $(rate "$pull") | $(ratio "$base" "$pull") |
| hf_hub_download, huggingface_hub 2.4.0 | $(printf %.2f "$hf2") | $(rate "$hf2") | $(ratio "$base" "$hf2") |
| hf_hub_download, huggingface_hub 0.36.2 | $(printf %.2f "$hf036") | $(rate "$hf036") | $(ratio "$base" "$hf036") |
EOF2
