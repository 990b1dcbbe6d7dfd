#!/usr/bin/env bash
# Load benchmark of `danlu ui` with wrk (Debian): requests/s for POST /api/train and
# /api/search with concurrent clients, the error count, and the server's resident memory
# before and after (growth would show a leak). Prints the figures; not part of the tests.
# Usage: bench/ui_load.sh [build/danlu] [seconds] [connections]
set -euo pipefail
bin=${1:-build/danlu}; secs=${2:-10}; conns=${3:-8}
command -v wrk >/dev/null || { echo "ui_load: wrk not installed (scripts/setup.sh installs it)" >&2; exit 2; }
log=$(mktemp); lua=$(mktemp --suffix=.lua)
"$bin" ui --port 0 2>"$log" & pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$lua"' EXIT
for _ in $(seq 100); do grep -q 'http://' "$log" && break; sleep 0.05; done
url=$(grep -o 'http://[0-9.:]*' "$log")
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
echo "server $url, rss before: $(rss) kB"
for ep in train search; do
  if [ $ep = train ]; then body='{"model":"llama3-70b","accelerator":"h100-sxm","gpus":1024}'
  else body='{"model":"llama3-8b","gpus":64,"top":3}'; fi
  printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$body" > "$lua"
  out=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$lua" "$url/api/$ep")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); errs=$(echo "$out" | awk '/Socket errors/ {print}')
  echo "/api/$ep: ${rps} requests/s, ${conns} connections, ${secs} s, non-2xx: ${non2xx:-0} ${errs}"
done
echo "rss after: $(rss) kB"
