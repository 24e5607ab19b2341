# shellcheck shell=bash
# Common bits for ops/*.sh. Sourced, never executed: the caller sets -euo pipefail.

# Repo root = parent of ops/, wherever the repo is checked out or called from.
TT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# All runtime state (jars, data, logs, pids) lives here; .run/ is git-ignored.
TT_RUN_DIR=${TT_RUN_DIR:-$TT_ROOT/.run}
export TT_ROOT TT_RUN_DIR

# One prefixed line per step, so interleaved output of setup.sh stays readable.
log() { printf '[%s] %s\n' "${TT_COMPONENT:-ops}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${TT_COMPONENT:-ops}" "$*" >&2; exit 1; }

# True when something accepts TCP connections on HOST PORT (bash /dev/tcp: no nc/ss needed).
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Pid from PIDFILE if that process is alive AND its command line matches PATTERN
# (guards against a stale pid file whose pid was reused by something else).
live_pid() {
  local pidfile=$1 pattern=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
  echo "$pid"
}

# Serialize start/stop of a service between concurrent callers (the CLI, test
# fixtures...); otherwise two starts race and the pid file ends up wrong.
# Holds fd 9 until the script exits: daemons must be launched with 9>&- or they
# would keep the lock for their whole life.
take_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  flock -w 120 9 || die "timed out waiting for $1"
}

# wait_until SECONDS CHECK... : poll CHECK every 0.2s; fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Gone = no such process, or a zombie: daemons get reparented to PID 1, and in
# containers that reaps late, so kill -0 would keep "seeing" them for seconds.
pid_gone() {
  ! kill -0 "$1" 2>/dev/null || [[ $(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) == Z* ]]
}

# stop_pid PIDFILE PATTERN NAME [GRACE]: SIGTERM, wait GRACE s (default 30), then SIGKILL.
# Idempotent: a missing or stale pid file just means "already stopped".
stop_pid() {
  local pidfile=$1 pattern=$2 name=$3 grace=${4:-30} pid
  if ! pid=$(live_pid "$pidfile" "$pattern"); then
    rm -f "$pidfile"; log "$name already stopped"; return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$grace" pid_gone "$pid"; then
    log "$name did not exit in ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 pid_gone "$pid" || die "could not kill $name (pid $pid)"
  fi
  rm -f "$pidfile"
  log "$name stopped"
}

# Run as root: directly when we are root (containers have no sudo), else via sudo.
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }

# apt_install PKG...: Debian packages, noninteractive, quiet.
apt_install() {
  log "apt-get install $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Content hash of a file, for "has this changed since last time" stamps.
file_hash() { sha256sum "$1" | cut -d' ' -f1; }

# report_status NAME PIDFILE PATTERN ADDR CHECK...: one line on whether NAME runs and answers
# (CHECK succeeds); returns 0 when it does, 3 otherwise (the LSB "not running" code).
report_status() {
  local name=$1 pidfile=$2 pattern=$3 addr=$4 pid; shift 4
  if pid=$(live_pid "$pidfile" "$pattern") && "$@"; then
    echo "$name running on $addr (pid $pid)"; return 0
  elif [[ -n ${pid:-} ]]; then
    echo "$name starting/not answering on $addr (pid $pid)"; return 3
  fi
  echo "$name stopped ($addr)"; return 3
}
