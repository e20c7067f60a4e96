# shellcheck shell=bash
# Shared helpers of scripts/bench-pre and scripts/bench-post (sourced, not run).
#
# What is here: tool checks that name the Debian package, a work folder cleaned up on exit,
# background processes each in its own process group (so cleanup kills a server and its
# workers, and nothing else), free loopback ports, readiness polls, CPU and RSS of a process
# group from /proc, the PKI (two CAs, made with `push-relay certs`), the APNS-like request,
# Squid and nghttpd, and one h2load run with CPU sampled over exactly its measured period.
#
# Conventions: BENCH_PROG names the calling script in messages; every bench_* function that
# returns values sets globals (named in its comment) instead of printing, so that callers keep
# running in the main shell (a $(...) subshell would lose the process registry).

BENCH_PROG="${BENCH_PROG:-bench}"
BENCH_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# PUSH_RELAY_BIN: another launcher to benchmark (an installed tree); default: this tree's.
BENCH_LAUNCHER="${PUSH_RELAY_BIN:-$BENCH_ROOT/scripts/push-relay}"
BENCH_CLK_TCK="$(getconf CLK_TCK)"
# APNS-like request: a device token path, the headers a provider sends, a fixed dummy JWT.
BENCH_TOKEN="5a3c0f6e9b1d4a7c2e8f0b3d6a9c1e4f7a0d3b6c9e2f5a8b1c4d7e0f3a6b9c2d"
BENCH_PATH="/3/device/$BENCH_TOKEN"
BENCH_JWT="eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyMzRERUYifQ.eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzAwMDAwMDAwfQ.MEUCIQDbenchmarkOnlyNotASignatureAAAAAAAAAAAAAAAAAAAIgBenchmarkOnlyNotASignatureBBBBBBBBBBBBBBBBBBB"
BENCH_HEADERS=(-H 'apns-topic: com.example.app' -H 'apns-push-type: alert' -H "authorization: bearer $BENCH_JWT")
BENCH_HOST="api.push.apple.com"

BENCH_PGIDS=()   # every process group we started (pid == pgid: each runs under setsid)
BENCH_DIR=""     # work folder (configs, logs, PKI)
BENCH_SHM=""     # h2load per-request logs, on /dev/shm when there is one
BENCH_KEEP=0

bench_say() { printf '%s: %s\n' "$BENCH_PROG" "$*" >&2; }
bench_die() {
  printf 'ERROR: %s: %s\n' "$BENCH_PROG" "$*" >&2
  exit 1
}

# bench_require CMD=PACKAGE ...: fail naming every missing Debian package.
bench_require() {
  local pair cmd pkg missing=() cmds=()
  for pair in "$@"; do
    cmd="${pair%%=*}"
    pkg="${pair#*=}"
    if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$cmd" ]]; then
      cmds+=("$cmd")
      [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    bench_die "missing ${cmds[*]}: install with: apt-get install -y ${missing[*]}"
  fi
  PATH="$PATH:/usr/sbin:/sbin"
}

# bench_workdir KEEP: make BENCH_DIR and BENCH_SHM, install the cleanup trap.
bench_workdir() {
  BENCH_KEEP="$1"
  local base=/tmp
  [[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
  # Everything lives in RAM when /dev/shm exists: h2load's per-request logs are tens of MB per
  # run and writing them to disk during a run costs the load a core.
  BENCH_DIR="$(mktemp -d "$base/$BENCH_PROG.XXXXXX")"
  BENCH_SHM="$BENCH_DIR/h2load-logs"
  mkdir -p "$BENCH_SHM"
  chmod 755 "$BENCH_DIR"   # Squid runs as user proxy and must traverse it
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local rc=$? pgid
  trap - EXIT INT TERM
  for pgid in "${BENCH_PGIDS[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  for pgid in "${BENCH_PGIDS[@]}"; do
    bench_reap "$pgid" 50
  done
  if [[ -n "$BENCH_DIR" ]]; then
    if ((BENCH_KEEP)); then
      bench_say "kept $BENCH_DIR (configs, logs, PKI; h2load per-request logs in $BENCH_SHM)"
    else
      rm -rf "$BENCH_DIR" 2>/dev/null || { sleep 0.5; rm -rf "$BENCH_DIR"; }
    fi
  fi
  exit "$rc"
}

# bench_logref FILE: FILE, and whether it outlives this run.
bench_logref() {
  if ((BENCH_KEEP)); then echo "$1"; else echo "$1; removed on exit, rerun with --keep to read it"; fi
}

# bench_alive PID: true while the process exists and is not a zombie.
bench_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# bench_group_alive PGID: true while any process of the group is alive.
bench_group_alive() {
  bench_alive "$1" && return 0
  kill -0 -- "-$1" 2>/dev/null || return 1
  local f line rest
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest="${line##*) }"
    read -r -a rest <<<"$rest"
    [[ "${rest[2]}" == "$1" && "${rest[0]}" != Z ]] && return 0
  done
  return 1
}

# bench_reap PGID TENTHS: wait up to TENTHS/10 s for the group to end, then SIGKILL it.
bench_reap() {
  local i
  for ((i = 0; i < $2; i++)); do
    bench_group_alive "$1" || return 0
    sleep 0.1
  done
  kill -KILL -- "-$1" 2>/dev/null || true
}

# bench_spawn LOG CMD...: start CMD in its own session and process group, output to LOG.
# Sets BENCH_PID (== its process group id). Not a job of this shell, so no "Terminated" noise.
bench_spawn() {
  local log="$1"
  shift
  BENCH_PID="$(setsid "$@" >"$log" 2>&1 </dev/null & echo $!)"
  BENCH_PGIDS+=("$BENCH_PID")
  # setsid(2) runs in the child: wait for it, so that kill -- -PID reaches the group at once.
  local i stat
  for ((i = 0; i < 100; i++)); do
    { read -r stat <"/proc/$BENCH_PID/stat"; } 2>/dev/null || break
    stat="${stat##*) }"
    read -r -a stat <<<"$stat"
    [[ "${stat[2]}" == "$BENCH_PID" ]] && break
    sleep 0.01
  done
}

# bench_stop PGID: TERM the group, KILL after 5 s.
bench_stop() {
  kill -TERM -- "-$1" 2>/dev/null || true
  bench_reap "$1" 50
  local kept=() p
  for p in "${BENCH_PGIDS[@]}"; do
    [[ "$p" == "$1" ]] || kept+=("$p")
  done
  BENCH_PGIDS=("${kept[@]}")
}

BENCH_PORTS=" "
# bench_free_port VAR: a loopback TCP port nobody listens on, below the ephemeral range (so
# the load's own outgoing connections never take it), not handed out before in this run.
bench_free_port() {
  local p i
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$BENCH_PORTS" == *" $p "* ]] && continue
    [[ -z "$(ss -Hltn "sport = :$p")" ]] || continue
    BENCH_PORTS+="$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
  bench_die "no free port found in 20000-31999"
}

# bench_wait_port PORT PID NAME LOG [SECONDS]: until 127.0.0.1:PORT accepts; fail with the
# log's tail if the process dies or the time runs out.
bench_wait_port() {
  local port="$1" pid="$2" name="$3" log="$4" secs="${5:-60}" i
  for ((i = 0; i < secs * 10; i++)); do
    if ! bench_group_alive "$pid"; then
      tail -20 "$log" >&2
      bench_die "$name exited before listening on 127.0.0.1:$port (log above: $(bench_logref "$log"))"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  tail -20 "$log" >&2
  bench_die "$name did not listen on 127.0.0.1:$port within ${secs}s (log above: $(bench_logref "$log"))"
}

# bench_group_ticks PGID: prints utime+stime (clock ticks) summed over the group's processes.
bench_group_ticks() {
  local f line rest sum=0
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest="${line##*) }"
    read -r -a rest <<<"$rest"
    # after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    [[ "${rest[2]}" == "$1" ]] && sum=$((sum + rest[11] + rest[12]))
  done
  echo "$sum"
}

# bench_group_mem PGID: prints "VmRSS VmHWM" in kB summed over the group's processes.
bench_group_mem() {
  local f line rest pid rss=0 hwm=0 key val _
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest="${line##*) }"
    read -r -a rest <<<"$rest"
    [[ "${rest[2]}" == "$1" ]] || continue
    pid="${f#/proc/}"
    pid="${pid%/stat}"
    while read -r key val _; do
      case "$key" in
        VmRSS:) rss=$((rss + val)) ;;
        VmHWM:) hwm=$((hwm + val)) ;;
      esac
    done <"/proc/$pid/status" 2>/dev/null || true
  done
  echo "$rss $hwm"
}

# bench_established FILTER: number of ESTABLISHED TCP sockets matching an ss filter.
bench_established() {
  ss -Htn state established "$1" 2>/dev/null | wc -l
}

# bench_pki: two CAs made with the project's own CA tool: the downstream one signs the
# certificate the relays under test (ours, nghttpx, HAProxy) present; the upstream one (a
# stand-in for Apple's) signs nghttpd's. Builds the jars on first use.
# Sets DN_CA DN_CERT DN_KEY DN_PEM (cert chain + key, for HAProxy) UP_CA UP_CERT UP_KEY.
bench_pki() {
  local d="$BENCH_DIR/pki" side log="$BENCH_DIR/pki.log"
  for side in downstream upstream; do
    if ! "$BENCH_LAUNCHER" certs ca create --dir "$d/$side-ca" --name "bench $side CA" >>"$log" 2>&1 ||
      ! "$BENCH_LAUNCHER" certs server create --ca "$d/$side-ca" --out "$d/$side-tls" \
        --host "$BENCH_HOST" --ip 127.0.0.1 >>"$log" 2>&1; then
      tail -20 "$log" >&2
      bench_die "making the $side PKI with scripts/push-relay certs failed (log above: $(bench_logref "$log"))"
    fi
  done
  DN_CA="$d/downstream-ca/ca.pem"
  DN_CERT="$d/downstream-tls/server.pem"
  DN_KEY="$d/downstream-tls/server.key"
  DN_PEM="$d/downstream-tls/server-with-key.pem"
  cat "$DN_CERT" "$DN_KEY" >"$DN_PEM"
  chmod 600 "$DN_PEM"
  UP_CA="$d/upstream-ca/ca.pem"
  UP_CERT="$d/upstream-tls/server.pem"
  UP_KEY="$d/upstream-tls/server.key"
}

# bench_body: a 256-byte APNS JSON payload. Sets BODY.
bench_body() {
  BODY="$BENCH_DIR/body.json"
  local head='{"aps":{"alert":{"title":"Benchmark","body":"' tail='"},"badge":1,"sound":"default"}}' pad
  printf -v pad '%*s' $((256 - ${#head} - ${#tail})) ''
  printf '%s%s%s' "$head" "${pad// /x}" "$tail" >"$BODY"
  [[ "$(wc -c <"$BODY")" -eq 256 ]] || bench_die "payload is not 256 bytes"
}

# bench_upstream: nghttpd as the h2 upstream (stand-in for APNS), TLS with the upstream
# certificate; its docroot holds a file at the device path, so a POST there answers 200.
# Sets UP_PORT UP_PID.
bench_upstream() {
  local docroot="$BENCH_DIR/docroot"
  mkdir -p "$docroot${BENCH_PATH%/*}"
  : >"$docroot$BENCH_PATH"   # APNS answers 200 with an empty body
  bench_free_port UP_PORT
  bench_spawn "$BENCH_DIR/nghttpd.log" nghttpd -d "$docroot" -a 127.0.0.1 "$UP_PORT" "$UP_KEY" "$UP_CERT"
  UP_PID="$BENCH_PID"
  bench_wait_port "$UP_PORT" "$UP_PID" nghttpd "$BENCH_DIR/nghttpd.log" 10
}

# bench_squid: Squid as the corporate proxy, private config in BENCH_DIR/squid (0755, owned
# by proxy when we are root). hosts_file sends api.push.apple.com to 127.0.0.1; CONNECT only
# to the upstream's port. Its access log (one line per CONNECT tunnel, written when the
# tunnel closes; never one per request) goes to BENCH_DIR, which is on /dev/shm.
# Sets SQUID_PORT SQUID_PID.
bench_squid() {
  local d="$BENCH_DIR/squid"
  mkdir -p "$d"
  chmod 755 "$d"
  bench_free_port SQUID_PORT
  printf '127.0.0.1 %s\n' "$BENCH_HOST" >"$d/hosts"
  cat >"$d/squid.conf" <<EOF
http_port 127.0.0.1:$SQUID_PORT
pid_filename $d/squid.pid
access_log stdio:$d/access.log
cache_log $d/cache.log
cache_store_log none
coredump_dir $d
cache deny all
cache_mem 8 MB
hosts_file $d/hosts
dns_nameservers 127.0.0.1
udp_incoming_address 127.0.0.1
udp_outgoing_address 127.0.0.1
pinger_enable off
shutdown_lifetime 0 seconds
acl okports port $UP_PORT
acl CONNECT method CONNECT
http_access deny !CONNECT
http_access deny CONNECT !okports
http_access allow localhost
http_access deny all
EOF
  if [[ $(id -u) -eq 0 ]]; then
    chown -R proxy:proxy "$d" 2>/dev/null || true
  fi
  bench_spawn "$d/stdout.log" squid -N -f "$d/squid.conf"
  SQUID_PID="$BENCH_PID"
  bench_wait_port "$SQUID_PORT" "$SQUID_PID" squid "$d/cache.log" 30
}

# bench_check NAME CURL-ARGS...: one real request through a peer before loading it, so that
# a misconfigured peer fails here with its answer instead of as a column of errors.
bench_check() {
  local name="$1" code
  shift
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary "@$BODY" \
    "${BENCH_HEADERS[@]}" "$@" 2>"$BENCH_DIR/curl-$name.err")" || code="${code:-000}"
  if [[ "$code" != 200 ]]; then
    cat "$BENCH_DIR/curl-$name.err" >&2
    bench_die "a test request through $name answered $code, not 200 (see $(bench_logref "$BENCH_DIR"))"
  fi
}

# bench_percentiles LOG: sets P50 P99 (µs, nearest rank) and LOGGED (lines) from h2load's
# --log-file (start µs, status, duration µs per request, measured period only).
bench_percentiles() {
  local r
  r="$(cut -f3 "$1" | LC_ALL=C sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - 0"; exit }
    i50 = int((NR * 50 + 99) / 100); i99 = int((NR * 99 + 99) / 100)
    print v[i50], v[i99], NR }')"
  read -r P50 P99 LOGGED <<<"$r"
}

# bench_h2load NAME CONNFILTER LABEL=PGID... -- H2LOAD-ARGS...
# Runs h2load (in its own process group, so cleanup can stop it) with --log-file; samples the
# CPU ticks of each LABEL's process group when h2load says its main (measured) period starts
# and when it ends, and counts ESTABLISHED sockets matching CONNFILTER (an ss filter; "" for
# none) about once a second, keeping the largest count.
# Sets R_RPS R_TOTAL R_DONE R_OK R_FAILED R_ERRORED R_TIMEOUT R_2XX R_NON2XX P50 P99 LOGGED R_CONNS and
# R_US[LABEL] (CPU µs per request over the measured period).
declare -A R_US=()
bench_h2load() {
  local name="$1" filter="$2"
  local out="$BENCH_DIR/h2load-$name.out" log="$BENCH_SHM/$name.log"
  shift 2
  local -A pg=() t0=() t1=()
  while [[ $# -gt 0 && "$1" != -- ]]; do
    pg["${1%%=*}"]="${1#*=}"
    shift
  done
  shift
  local pid label started=0 over=0 i=0 c limit
  R_CONNS=0
  rm -f "$log"   # h2load appends to an existing log file
  bench_spawn "$out" h2load --log-file="$log" "$@"
  pid="$BENCH_PID"
  limit=$(( (BENCH_DURATION + BENCH_WARMUP + 120) * 20 ))
  while bench_alive "$pid"; do
    if ((!started)) && grep -q 'Main benchmark duration is started' "$out"; then
      for label in "${!pg[@]}"; do t0[$label]="$(bench_group_ticks "${pg[$label]}")"; done
      started=1
    fi
    if ((started && !over)) && grep -q 'Main benchmark duration is over' "$out"; then
      for label in "${!pg[@]}"; do t1[$label]="$(bench_group_ticks "${pg[$label]}")"; done
      over=1
    fi
    if ((started && !over && i % 20 == 10)) && [[ -n "$filter" ]]; then
      c="$(bench_established "$filter")"
      ((c > R_CONNS)) && R_CONNS="$c"
    fi
    if ((++i > limit)); then
      bench_stop "$pid"
      bench_die "h2load against $name did not finish in time (output: $(bench_logref "$out"))"
    fi
    sleep 0.05
  done
  bench_stop "$pid"
  if ((started && !over)); then
    for label in "${!pg[@]}"; do t1[$label]="$(bench_group_ticks "${pg[$label]}")"; done
  fi
  local fin req st
  fin="$(grep '^finished in' "$out" || true)"
  req="$(grep '^requests:' "$out" || true)"
  st="$(grep '^status codes:' "$out" || true)"
  if [[ -z "$fin" || -z "$req" ]]; then
    tail -20 "$out" >&2
    bench_die "h2load against $name printed no summary (output above: $(bench_logref "$out"))"
  fi
  R_RPS="$(awk '{ print int($4 + 0.5) }' <<<"$fin")"
  read -r R_TOTAL R_DONE R_OK R_FAILED R_ERRORED R_TIMEOUT < <(awk -F'[ ,]+' '{ print $2, $6, $8, $10, $12, $14 }' <<<"$req")
  # status codes: N 2xx, N 3xx, N 4xx, N 5xx (counted over the measured period)
  read -r R_2XX R_NON2XX < <(awk -F'[ ,]+' '{ print $3 + 0, $5 + $7 + $9 }' <<<"${st:-status codes: 0 2xx, 0 3xx, 0 4xx, 0 5xx}")
  bench_percentiles "$log"
  ((BENCH_KEEP)) || rm -f "$log"
  R_US=()
  for label in "${!pg[@]}"; do
    if ((started)) && [[ -n "${t1[$label]:-}" ]] && ((R_DONE > 0)); then
      R_US[$label]="$(awk -v d=$((t1[$label] - t0[$label])) -v hz="$BENCH_CLK_TCK" -v n="$R_DONE" \
        'BEGIN { printf "%.1f", d * 1e6 / hz / n }')"
    else
      R_US[$label]="-"
    fi
  done
}

# bench_ms US: microseconds as milliseconds with two decimals ("-" stays "-").
bench_ms() {
  [[ "$1" == - ]] && { echo -; return; }
  awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'
}

# bench_ratio A B: A/B with two decimals and an x, "-" when either is missing or B is 0.
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) { print "-"; exit }
    printf "%.2fx", a / b }'
}

# bench_raise_nofile N: raise the soft (and if need be hard) open-files limit to at least N.
# Returns 1 when that is not allowed.
bench_raise_nofile() {
  local hard
  hard="$(ulimit -Hn)"
  if [[ "$hard" != unlimited ]] && ((hard < $1)); then
    ulimit -Hn "$1" 2>/dev/null || return 1
    hard="$1"
  fi
  ulimit -Sn "$hard" 2>/dev/null || return 1
}

# bench_in_list WORD LIST(comma-separated)
bench_in_list() { [[ ",$2," == *",$1,"* ]]; }

# bench_check_only LIST ALLOWED...: reject unknown names in --only.
bench_check_only() {
  local list="$1" w words allowed
  shift
  allowed=" $* "
  IFS=, read -r -a words <<<"$list"
  for w in "${words[@]}"; do
    if [[ "$allowed" != *" $w "* ]]; then
      printf 'ERROR: %s: --only: unknown '"'"'%s'"'"' (one of:%s)\n' "$BENCH_PROG" "$w" "$allowed" >&2
      exit 2
    fi
  done
}

# bench_jvm_note: how scripts/push-relay starts the JVM (what the relay column ran with).
bench_jvm_note() {
  echo "relay launcher: $BENCH_LAUNCHER"
  if [[ -n "${PUSH_RELAY_JAVA_OPTS:-}" ]]; then
    echo "JVM options from PUSH_RELAY_JAVA_OPTS: $PUSH_RELAY_JAVA_OPTS"
  else
    echo "JVM options: the launcher's defaults ($(java -version 2>&1 | head -1))"
  fi
}

# bench_uri PORT: the request URI; with --connect-to=127.0.0.1:PORT, h2load sends SNI and
# :authority/Host api.push.apple.com (plus the port) like a real provider would.
bench_uri() { echo "https://$BENCH_HOST:$1$BENCH_PATH"; }

# bench_load_note: before the runs, warns when the machine is already busy; with "end",
# prints the load averages at start and end (stdout), since other work skews every column.
BENCH_LOAD_START=""
bench_load_note() {
  local l1 _
  read -r l1 _ </proc/loadavg
  if [[ "${1:-}" != end ]]; then
    BENCH_LOAD_START="$l1"
    if awk -v l="$l1" -v n="$(nproc)" 'BEGIN { exit !(l > n / 4) }'; then
      bench_say "WARNING: load average is already $l1 on $(nproc) cores: other work will skew every column"
    fi
    return 0
  fi
  echo "Load average (1 min) at start $BENCH_LOAD_START, at end $l1, on $(nproc) cores."
}
