#!/usr/bin/env bash
# Transfer benchmark: push and pull of one large file (default 1 GiB) and of many small
# files (default 200 x 100 KiB) through the real release binaries on the embedded default
# (SQLite + local folder), against ceilings measured on the same data in the same run:
# nginx (Debian's nginx-light, installed if missing) answering a WebDAV PUT and a GET of the
# same file on a loopback port (curl on the client side), `cp` on the same disk, and
# `sha256sum`. Reports MiB/s, ratios to the ceilings, peak RSS of server (VmHWM) and CLI
# (GNU time %M) and CPU seconds per GiB (CLI + server). Loopback only; bounded in time
# (every step has a timeout; a full run takes a few minutes after the build).
#
#   bench/transfer.sh                       # 1 GiB + 200 x 100 KiB
#   BIG_MIB=256 SMALL_COUNT=50 bench/transfer.sh
#   SERVER_BIN=/path/to/modelreg-server bench/transfer.sh   # another server build
set -euo pipefail
cd "$(dirname "$0")/.."

big_mib=${BIG_MIB:-1024}
small_count=${SMALL_COUNT:-200}
small_kib=${SMALL_KIB:-100}
step_timeout=${STEP_TIMEOUT:-120}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/modelreg-transfer.XXXXXX")
server_pid=""
nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null; then
  echo "installing nginx-light (Debian) for the ceiling measurements" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >&2
fi
nginx -V 2>&1 | grep -q http_dav_module || { echo "nginx lacks the DAV module (PUT)" >&2; exit 1; }

cargo build --release --locked --bin modelreg-server --bin modelreg >&2
bin=${CARGO_TARGET_DIR:-target}/release
server_bin=${SERVER_BIN:-$bin/modelreg-server}
tck=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# "seconds user+sys-seconds peak-RSS-KiB" of a command, via GNU time
measure() {
  timeout "$step_timeout" /usr/bin/time -f '%e %U %S %M' -o "$work/time.out" "$@" >/dev/null
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/time.out"
}
# CPU seconds the server used so far
server_cpu() { awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$server_pid/stat"; }

echo "preparing ${big_mib} MiB + ${small_count} x ${small_kib} KiB of random data in $work" >&2
mkdir -p "$work/big" "$work/small" "$work/data" "$work/nginx/root" "$work/nginx/tmp"
head -c "$((big_mib * 1024 * 1024))" /dev/urandom > "$work/big/weights.bin"
head -c "$((small_count * small_kib * 1024))" /dev/urandom > "$work/small.raw"
split -a 3 -d -b "$((small_kib * 1024))" --additional-suffix=.bin "$work/small.raw" "$work/small/f"
rm "$work/small.raw"
sync

# --- ceilings -------------------------------------------------------------------------------
read -r cp_s _ _ < <(measure cp "$work/big/weights.bin" "$work/copy.bin")
rm -f "$work/copy.bin"
read -r sha_s _ _ < <(measure sha256sum "$work/big/weights.bin")

nginx_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/root;
    client_max_body_size 0;
    location / { dav_methods PUT; create_full_put_path on; }
  }
}
CONF
nginx -c "$work/nginx.conf" 2>/dev/null &
nginx_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
read -r nput_s _ _ < <(measure curl -sSf -T "$work/big/weights.bin" "http://127.0.0.1:$nginx_port/weights.bin")
read -r nget_s _ _ < <(measure curl -sSf -o "$work/nginx-get.bin" "http://127.0.0.1:$nginx_port/weights.bin")
cmp "$work/big/weights.bin" "$work/nginx-get.bin"
rm -f "$work/nginx-get.bin" "$work/nginx/root/weights.bin"
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""

# --- modelreg --------------------------------------------------------------------------------
MODELREG_LOG=warn "$server_bin" --data-dir "$work/data" token create --name bench --scope write > "$work/token"
"$server_bin" --data-dir "$work/data" --bind 127.0.0.1:0 2> "$work/server.log" &
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

# One modelreg step: prints "seconds cli-cpu cli-rss-KiB server-cpu"; every pull starts
# from an empty cache directory of its own (cold), pushes keep their upload state there.
step() {
  local name=$1; shift
  local before after
  before=$(server_cpu)
  read -r s cpu rss < <(MODELREG_CACHE_DIR="$work/cache-$name" measure "$bin/modelreg" -q "$@")
  after=$(server_cpu)
  echo "$s $cpu $rss $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')"
}
read -r push_s push_cpu push_rss push_srv < <(step push-big push "$work/big" --model bench/big --version 1.0.0 --license MIT)
read -r pull_s pull_cpu pull_rss pull_srv < <(step pull-big pull bench/big@1.0.0 -o "$work/out-big")
cmp "$work/big/weights.bin" "$work/out-big/weights.bin"
# A file of the same size (one byte differs) in one PUT instead of a session: what
# sessions cost on the server side.
mkdir -p "$work/big-put"
cp "$work/big/weights.bin" "$work/big-put/weights.bin"
printf 'x' | dd of="$work/big-put/weights.bin" bs=1 seek=0 conv=notrunc status=none
sync
read -r put_s put_cpu put_rss put_srv < <(step push-put push "$work/big-put" --model bench/big-put --version 1.0.0 --license MIT --chunk-threshold 1TiB)
read -r spush_s spush_cpu spush_rss spush_srv < <(step push-small push "$work/small" --model bench/small --version 1.0.0 --license MIT)
read -r spull_s spull_cpu spull_rss spull_srv < <(step pull-small pull bench/small@1.0.0 -o "$work/out-small")
diff -r "$work/small" "$work/out-small"
server_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")

# --- report ----------------------------------------------------------------------------------
mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
per_gib() { awk -v c="$1" -v d="$2" -v m="$3" 'BEGIN { printf "%.2f", (c + d) * 1024 / m }'; }
mib_rss() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
small_mib=$(awk -v n="$small_count" -v k="$small_kib" 'BEGIN { printf "%.2f", n * k / 1024 }')
big_rate=$(mibs "$big_mib" "$push_s"); put_rate=$(mibs "$big_mib" "$put_s"); pull_rate=$(mibs "$big_mib" "$pull_s")
nput_rate=$(mibs "$big_mib" "$nput_s"); nget_rate=$(mibs "$big_mib" "$nget_s")
cat <<REPORT
data: ${big_mib} MiB file; ${small_count} files of ${small_kib} KiB; embedded default (SQLite + local folder), release build, loopback
| step | seconds | MiB/s | ceiling | vs ceiling | CPU s per GiB (CLI + server) | CLI peak RSS |
|---|---|---|---|---|---|---|
| cp (ceiling) | $cp_s | $(mibs "$big_mib" "$cp_s") | | | | |
| sha256sum (ceiling) | $sha_s | $(mibs "$big_mib" "$sha_s") | | | | |
| nginx PUT, curl -T (ceiling) | $nput_s | $nput_rate | | | | |
| nginx GET to file, curl -o (ceiling) | $nget_s | $nget_rate | | | | |
| modelreg push, upload session (default) | $push_s | $big_rate | nginx PUT | $(ratio "$big_rate" "$nput_rate") | $(per_gib "$push_cpu" "$push_srv" "$big_mib") ($push_cpu + $push_srv) | $(mib_rss "$push_rss") |
| modelreg push, one PUT (--chunk-threshold 1TiB) | $put_s | $put_rate | nginx PUT | $(ratio "$put_rate" "$nput_rate") | $(per_gib "$put_cpu" "$put_srv" "$big_mib") ($put_cpu + $put_srv) | $(mib_rss "$put_rss") |
| modelreg pull, cold cache | $pull_s | $pull_rate | nginx GET | $(ratio "$pull_rate" "$nget_rate") | $(per_gib "$pull_cpu" "$pull_srv" "$big_mib") ($pull_cpu + $pull_srv) | $(mib_rss "$pull_rss") |
| modelreg push, ${small_count} small files | $spush_s | $(mibs "$small_mib" "$spush_s") | < 0.4 s | | ($spush_cpu + $spush_srv) | $(mib_rss "$spush_rss") |
| modelreg pull, ${small_count} small files, cold cache | $spull_s | $(mibs "$small_mib" "$spull_s") | < 0.4 s | | ($spull_cpu + $spull_srv) | $(mib_rss "$spull_rss") |
server peak RSS over all steps: $(mib_rss "$server_kib")
REPORT
