#!/usr/bin/env bash
# Transfer benchmark: push and pull of one large file (default 1 GiB) and of many small
# files (default 200 x 100 KiB) through the real release binaries, on the embedded default
# (SQLite + local folder) and on PostgreSQL + S3 (the test suite's SeaweedFS, started by
# scripts/test --run), against ceilings measured on the same data in the same run: nginx
# (Debian's nginx-light, installed if missing) answering a WebDAV PUT and a GET of the same
# file on a loopback port (curl on the client side), `cp` on the same disk, a durable write
# (`dd conv=fdatasync`) and `sha256sum`. Reports MiB/s, ratios to the ceilings, peak RSS of
# server (VmHWM) and CLI (GNU time %M) and CPU seconds per GiB (CLI + server); then, on a
# fresh server per backend, four clients pushing a file each (default 2 GiB) at once and
# four pulling one at once, with the server's peak RSS. Loopback only; every step has a
# timeout.
#
#   bench/transfer.sh                                   # both backends, full sizes
#   BIG_MIB=256 SMALL_COUNT=50 CONC_MIB=256 bench/transfer.sh   # a quick run
#   BACKENDS=embedded bench/transfer.sh                 # skip PostgreSQL + S3
#   SERVER_BIN=/path/to/modelreg-server bench/transfer.sh   # another server build
#   NO_BUILD=1 CARGO_TARGET_DIR=dir bench/transfer.sh   # binaries already in dir/release
set -euo pipefail
cd "$(dirname "$0")/.."

backends=${BACKENDS:-embedded postgres-s3}
# The PostgreSQL + S3 pass needs the test services: run inside scripts/test --run.
if [[ " $backends " == *" postgres-s3 "* && -z "${MODELREG_TEST_S3_ENDPOINT:-}" ]]; then
  exec scripts/test --run "$(pwd)/bench/transfer.sh" "$@"
fi

big_mib=${BIG_MIB:-1024}
small_count=${SMALL_COUNT:-200}
small_kib=${SMALL_KIB:-100}
conc_mib=${CONC_MIB:-2048}
step_timeout=${STEP_TIMEOUT:-300}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/modelreg-transfer.XXXXXX")
server_pid=""
nginx_pid=""
databases=()
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    for log in "$work"/server-*.log; do
      [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  for db in "${databases[@]}"; do
    psql "$MODELREG_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null; then
  echo "installing nginx-light (Debian) for the ceiling measurements" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >&2
fi
nginx -V 2>&1 | grep -q http_dav_module || { echo "nginx lacks the DAV module (PUT)" >&2; exit 1; }

[ -n "${NO_BUILD:-}" ] || cargo build --release --locked --bin modelreg-server --bin modelreg >&2
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
mkdir -p "$work/big" "$work/small" "$work/nginx/root" "$work/nginx/tmp"
head -c "$((big_mib * 1024 * 1024))" /dev/urandom > "$work/big/weights.bin"
head -c "$((small_count * small_kib * 1024))" /dev/urandom > "$work/small.raw"
split -a 3 -d -b "$((small_kib * 1024))" --additional-suffix=.bin "$work/small.raw" "$work/small/f"
rm "$work/small.raw"
sync

# --- ceilings -------------------------------------------------------------------------------
read -r cp_s _ _ < <(measure cp "$work/big/weights.bin" "$work/copy.bin")
rm -f "$work/copy.bin"
read -r sha_s _ _ < <(measure sha256sum "$work/big/weights.bin")
# What the disk takes durably: both sides of modelreg fsync before a file is visible.
read -r dd_s _ _ < <(measure dd if="$work/big/weights.bin" of="$work/copy.bin" bs=4M conv=fdatasync status=none)
rm -f "$work/copy.bin"

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
# Four files of CONC_MIB for the concurrent pushes, each different in its first byte.
echo "preparing 4 x ${conc_mib} MiB for the concurrent steps" >&2
mkdir -p "$work/conc1"
head -c "$((conc_mib * 1024 * 1024))" /dev/urandom > "$work/conc1/weights.bin"
for i in 2 3 4; do
  mkdir -p "$work/conc$i"
  cp "$work/conc1/weights.bin" "$work/conc$i/weights.bin"
  printf '%s' "$i" | dd of="$work/conc$i/weights.bin" bs=1 seek=0 conv=notrunc status=none
done
sync

# Starts a fresh server for backend $1 (data under $work/$1-$2) and sets url and token.
start_server() {
  local backend=$1 run=$2
  local args=(--data-dir "$work/$backend-$run")
  if [ "$backend" = postgres-s3 ]; then
    local db="modelreg_transfer_$$_$run"
    databases+=("$db")
    psql "$MODELREG_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
    args+=(--database-url "${MODELREG_TEST_DATABASE_URL%/*}/$db"
      --blobs-url "s3://$MODELREG_TEST_S3_BUCKET/transfer-$$-$run")
    export MODELREG_S3_ENDPOINT=$MODELREG_TEST_S3_ENDPOINT MODELREG_S3_REGION=$MODELREG_TEST_S3_REGION \
      MODELREG_S3_ACCESS_KEY_ID=$MODELREG_TEST_S3_ACCESS_KEY_ID \
      MODELREG_S3_SECRET_ACCESS_KEY=$MODELREG_TEST_S3_SECRET_ACCESS_KEY MODELREG_S3_ALLOW_HTTP=true
  fi
  MODELREG_LOG=warn "$server_bin" "${args[@]}" token create --name bench --scope write > "$work/token"
  "$server_bin" "${args[@]}" --bind 127.0.0.1:0 2> "$work/server-$backend-$run.log" &
  server_pid=$!
  url=""
  for _ in $(seq 1 200); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$work/server-$backend-$run.log" | head -1 | sed 's/listening on //') || true
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { cat "$work/server-$backend-$run.log" >&2; exit 1; }
  export MODELREG_URL=$url MODELREG_TOKEN
  MODELREG_TOKEN=$(cat "$work/token")
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

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

# Runs "$@" four times at once (with {} replaced by 1..4); prints "seconds max-cli-rss-KiB".
four() {
  local started pids=() i rss=0 r
  started=$(date +%s.%N)
  for i in 1 2 3 4; do
    MODELREG_CACHE_DIR="$work/cache-$backend-four-$1-$i" timeout "$step_timeout" /usr/bin/time -f '%M' -o "$work/four-$i.time" \
      "$bin/modelreg" -q "${@//\{\}/$i}" >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  for i in 1 2 3 4; do r=$(tail -1 "$work/four-$i.time"); [ "$r" -gt "$rss" ] && rss=$r; done
  awk -v a="$started" -v b="$(date +%s.%N)" -v r="$rss" 'BEGIN { printf "%.2f %s\n", b - a, r }'
}

mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
per_gib() { awk -v c="$1" -v d="$2" -v m="$3" 'BEGIN { printf "%.2f", (c + d) * 1024 / m }'; }
mib_rss() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$server_pid/status"; }
small_mib=$(awk -v n="$small_count" -v k="$small_kib" 'BEGIN { printf "%.2f", n * k / 1024 }')
nput_rate=$(mibs "$big_mib" "$nput_s"); nget_rate=$(mibs "$big_mib" "$nget_s")

# A file of the same size as the big one (one byte differs) pushed in one PUT instead of a
# session: what sessions cost on the server side.
mkdir -p "$work/big-put"
cp "$work/big/weights.bin" "$work/big-put/weights.bin"
printf 'x' | dd of="$work/big-put/weights.bin" bs=1 seek=0 conv=notrunc status=none
sync

cat <<REPORT
data: ${big_mib} MiB file; ${small_count} files of ${small_kib} KiB; concurrent steps 4 x ${conc_mib} MiB; release build, loopback
| step | seconds | MiB/s | ceiling | vs ceiling | CPU s per GiB (CLI + server) | CLI peak RSS |
|---|---|---|---|---|---|---|
| cp (ceiling) | $cp_s | $(mibs "$big_mib" "$cp_s") | | | | |
| sha256sum (ceiling) | $sha_s | $(mibs "$big_mib" "$sha_s") | | | | |
| dd conv=fdatasync, durable write (ceiling) | $dd_s | $(mibs "$big_mib" "$dd_s") | | | | |
| nginx PUT, curl -T (ceiling) | $nput_s | $nput_rate | | | | |
| nginx GET to file, curl -o (ceiling) | $nget_s | $nget_rate | | | | |
REPORT

for backend in $backends; do
  case $backend in
    embedded) label="embedded (SQLite + local folder)" ;;
    postgres-s3) label="PostgreSQL + S3 (SeaweedFS)" ;;
    *) echo "unknown backend $backend (embedded, postgres-s3)" >&2; exit 2 ;;
  esac
  # The ceilings of this backend: nginx for the local folder; for S3 also the S3 server
  # itself answering curl's signed PUT and GET of the same file.
  put_name="nginx PUT"; put_rate=$nput_rate; get_name="nginx GET"; get_rate=$nget_rate
  if [ "$backend" = postgres-s3 ]; then
    s3url="$MODELREG_TEST_S3_ENDPOINT/$MODELREG_TEST_S3_BUCKET/ceiling-$$.bin"
    sig=(--aws-sigv4 "aws:amz:$MODELREG_TEST_S3_REGION:s3"
      --user "$MODELREG_TEST_S3_ACCESS_KEY_ID:$MODELREG_TEST_S3_SECRET_ACCESS_KEY")
    read -r s3put_s _ _ < <(measure curl -sSf "${sig[@]}" -T "$work/big/weights.bin" "$s3url")
    read -r s3get_s _ _ < <(measure curl -sSf "${sig[@]}" -o "$work/s3-get.bin" "$s3url")
    cmp "$work/big/weights.bin" "$work/s3-get.bin"
    rm -f "$work/s3-get.bin"
    curl -sSf "${sig[@]}" -X DELETE "$s3url" >/dev/null
    put_name="S3 PUT"; put_rate=$(mibs "$big_mib" "$s3put_s"); get_name="S3 GET"; get_rate=$(mibs "$big_mib" "$s3get_s")
  fi
  # Both ends of the local pass write durably (fsync before a file is visible): the rate
  # also as a ratio to the disk's durable write.
  durable() {
    if [ "$backend" = embedded ]; then echo "; $(ratio "$1" "$(mibs "$big_mib" "$dd_s")") of durable write"; fi
  }
  start_server "$backend" 1
  read -r push_s push_cpu push_rss push_srv < <(step "$backend-push-big" push "$work/big" --model bench/big --version 1.0.0 --license MIT)
  read -r put_s put_cpu put_rss put_srv < <(step "$backend-push-put" push "$work/big-put" --model bench/big-put --version 1.0.0 --license MIT --chunk-threshold 1TiB)
  read -r pull_s pull_cpu pull_rss pull_srv < <(step "$backend-pull-big" pull bench/big@1.0.0 -o "$work/out-big")
  cmp "$work/big/weights.bin" "$work/out-big/weights.bin"
  rm -rf "$work/out-big"
  read -r spush_s spush_cpu spush_rss spush_srv < <(step "$backend-push-small" push "$work/small" --model bench/small --version 1.0.0 --license MIT)
  read -r spull_s spull_cpu spull_rss spull_srv < <(step "$backend-pull-small" pull bench/small@1.0.0 -o "$work/out-small")
  diff -r "$work/small" "$work/out-small"
  rm -rf "$work/out-small"
  server_kib=$(hwm)
  stop_server
  big_rate=$(mibs "$big_mib" "$push_s"); one_rate=$(mibs "$big_mib" "$put_s"); pull_rate=$(mibs "$big_mib" "$pull_s")
  cat <<REPORT
| **$label** | | | | | | |
REPORT
  if [ "$backend" = postgres-s3 ]; then
    cat <<REPORT
| S3 server PUT, curl -T --aws-sigv4 (ceiling) | $s3put_s | $put_rate | | | | |
| S3 server GET to file, curl -o (ceiling) | $s3get_s | $get_rate | | | | |
REPORT
  fi
  cat <<REPORT
| modelreg push, upload session (default) | $push_s | $big_rate | $put_name | $(ratio "$big_rate" "$put_rate")$(durable "$big_rate") | $(per_gib "$push_cpu" "$push_srv" "$big_mib") ($push_cpu + $push_srv) | $(mib_rss "$push_rss") |
| modelreg push, one PUT (--chunk-threshold 1TiB) | $put_s | $one_rate | $put_name | $(ratio "$one_rate" "$put_rate")$(durable "$one_rate") | $(per_gib "$put_cpu" "$put_srv" "$big_mib") ($put_cpu + $put_srv) | $(mib_rss "$put_rss") |
| modelreg pull, cold cache | $pull_s | $pull_rate | $get_name | $(ratio "$pull_rate" "$get_rate")$(durable "$pull_rate") | $(per_gib "$pull_cpu" "$pull_srv" "$big_mib") ($pull_cpu + $pull_srv) | $(mib_rss "$pull_rss") |
| modelreg push, ${small_count} small files | $spush_s | $(mibs "$small_mib" "$spush_s") | < 0.4 s | | ($spush_cpu + $spush_srv) | $(mib_rss "$spush_rss") |
| modelreg pull, ${small_count} small files, cold cache | $spull_s | $(mibs "$small_mib" "$spull_s") | < 0.4 s | | ($spull_cpu + $spull_srv) | $(mib_rss "$spull_rss") |
| server peak RSS over these steps: $(mib_rss "$server_kib") | | | | | | |
REPORT

  # Four clients at once, on a fresh server so that its peak RSS is theirs alone.
  start_server "$backend" 2
  read -r cpush_s cpush_rss < <(four push "$work/conc{}" --model bench/conc-{} --version 1.0.0 --license MIT)
  push_hwm=$(hwm)
  read -r cpull_s cpull_rss < <(four pull bench/conc-1@1.0.0 -o "$work/out-conc-{}")
  pull_hwm=$(hwm)
  for i in 1 2 3 4; do cmp "$work/conc1/weights.bin" "$work/out-conc-$i/weights.bin"; rm -rf "$work/out-conc-$i"; done
  stop_server
  cat <<REPORT
| 4 clients each push ${conc_mib} MiB at once | $cpush_s | $(mibs "$((4 * conc_mib))" "$cpush_s") (all) | | | | $(mib_rss "$cpush_rss") (max) |
| 4 clients pull one ${conc_mib} MiB file at once | $cpull_s | $(mibs "$((4 * conc_mib))" "$cpull_s") (all) | | | | $(mib_rss "$cpull_rss") (max) |
| server peak RSS: $(mib_rss "$push_hwm") after the pushes, $(mib_rss "$pull_hwm") after the pulls (targets < 100 MiB) | | | | | | |
REPORT
done
