# Shared helpers for the scripts; sourced, not run.
IOTP_CACHE="${IOTP_CACHE:-/var/cache/iot-provisioner}"
export IOTP_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$IOTP_CACHE/target}"
export IOTP_VENV="$IOTP_CACHE/venv"
export PATH="$IOTP_VENV/bin:$HOME/.cargo/bin:$PATH"

# Build caches live outside the clone and grow; when the disk runs low, drop them (they are
# only caches) rather than fail half-way with ENOSPC.
ensure_disk() {
  local want_gib="${1:-20}" free_kib
  mkdir -p "$IOTP_CACHE"
  free_kib=$(df -Pk "$IOTP_CACHE" | awk 'NR==2 {print $4}')
  if [ "$free_kib" -lt $((want_gib * 1024 * 1024)) ]; then
    log "only $((free_kib / 1024)) MiB free under $IOTP_CACHE: removing the build caches"
    rm -rf "$IOTP_CACHE"/target*
    free_kib=$(df -Pk "$IOTP_CACHE" | awk 'NR==2 {print $4}')
    if [ "$free_kib" -lt $((8 * 1024 * 1024)) ]; then
      log "still only $((free_kib / 1024)) MiB free: the build needs about 8 GiB"; return 1
    fi
  fi
}

# Every line says the time and how long the script has been running, so a long step shows
# as progress, not as a hang.
log() { printf '[%s, %3d s] %s\n' "$(date +%H:%M:%S)" "$SECONDS" "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "missing system packages (install them with your package manager): ${missing[*]}"
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local req="$1" stamp
  mkdir -p "$IOTP_CACHE"
  [ -x "$IOTP_VENV/bin/python" ] || python3 -m venv "$IOTP_VENV"
  stamp="$IOTP_VENV/.req-$(sha256sum "$req" | cut -c1-16)"
  if [ ! -e "$stamp" ]; then
    log "pip install -r $req"
    "$IOTP_VENV/bin/pip" install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
  fi
}

# cargo install at an exact version unless that version is already there.
ensure_cargo_tool() {
  local crate="$1" version="$2" bin="${3:-$1}"
  if ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    log "cargo install $crate@$version"
    cargo install --locked --quiet "$crate@$version"
  fi
}

# Wait until a TCP port on 127.0.0.1 accepts connections.
wait_port() {
  local port="$1" tries="${2:-100}"
  for _ in $(seq "$tries"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  log "nothing listens on 127.0.0.1:$port"; return 1
}
