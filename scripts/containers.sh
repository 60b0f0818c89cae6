#!/usr/bin/env bash
# Sets up Podman for the container sandbox backend (--sandbox docker) and docker-compose.test.yml:
# installs podman and runc, pins the runtime settings that work on this kind of host, starts the
# Docker-compatible API socket, and builds the local images (containers/build.sh; no registry is
# needed or used). Every step that fails is named at the end; the exit status is 1 when the
# backend cannot run here.
#
#   bash scripts/containers.sh                 everything above
#   bash scripts/containers.sh --if-installed  the same, but only when podman is already installed
#                                              (npm test: a fresh machine keeps working without it)
#   bash scripts/containers.sh --compose-check also run docker-compose.test.yml (slow: minutes)
#
# Why these settings (measured on Debian 12 with the hybrid cgroup v1 layout, as root, no systemd):
# crun refuses the hybrid layout and runc does not; systemd cannot manage cgroups here, so the
# cgroupfs manager; and the host's unlimited rlimits make runc fail, so explicit nofile/nproc.
set -uo pipefail
cd "$(dirname "$0")/.."
if_installed=0 compose_check=0
for a in "$@"; do
  case $a in
    --if-installed) if_installed=1 ;;
    --compose-check) compose_check=1 ;;
    *) echo "usage: $0 [--if-installed] [--compose-check]" >&2; exit 2 ;;
  esac
done
say() { printf '[containers] %s\n' "$*"; }
failed=()
SOCKET=${DN_PODMAN_SOCKET:-/run/podman/podman.sock}
SERVICE_PID=/run/podman/datanexus-service.pid

if ! command -v podman >/dev/null && [ $if_installed = 1 ]; then
  say "podman is not installed: the container backend's tests will skip (bash scripts/containers.sh sets it up)"
  exit 0
fi

# --- packages -----------------------------------------------------------------------------
pkgs=()
for p in podman:podman runc:runc debootstrap:debootstrap podman-compose:podman-compose netavark:/usr/lib/podman/netavark aardvark-dns:/usr/lib/podman/aardvark-dns; do
  name=${p%%:*} probe=${p#*:}
  if [[ $probe == /* ]]; then [ -e "$probe" ] || pkgs+=("$name"); else command -v "$probe" >/dev/null || pkgs+=("$name"); fi
done
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${pkgs[*]}"
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; }) \
      || failed+=("install ${pkgs[*]} (apt-get install ${pkgs[*]})")
  else
    failed+=("install ${pkgs[*]} (not root or no apt-get: install them by hand)")
  fi
fi
if ! command -v podman >/dev/null; then
  say "cannot continue without podman; not done:"; for f in "${failed[@]}"; do say "  - $f"; done; exit 1
fi

# --- engine settings ----------------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  mkdir -p /etc/containers/containers.conf.d
  # runc cannot raise a hard limit where the host withholds CAP_SYS_RESOURCE (as here): the
  # defaults stay within this shell's own, and within the 32768 processes podman gives conmon.
  nofile=$(ulimit -Hn); { [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; } && nofile=65536
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  conf=/etc/containers/containers.conf.d/50-datanexus.conf
  before=$(cat "$conf" 2>/dev/null || true)
  cat > "$conf" <<CONF
# Written by datanexus-gym scripts/containers.sh: the settings containers run with on this host.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  # the API service reads the settings when it starts: one started here with others is restarted
  if [ "$before" != "$(cat "$conf")" ] && [ -f "$SERVICE_PID" ] && kill "$(cat "$SERVICE_PID")" 2>/dev/null; then
    say "engine settings changed: restarting the API service"
    rm -f "$SOCKET" "$SERVICE_PID"
  fi
else
  failed+=("engine settings (not root: /etc/containers/containers.conf.d/50-datanexus.conf not written)")
fi
if ! podman --runtime runc --cgroup-manager cgroupfs info >/dev/null 2>&1; then
  failed+=("podman info fails: $(podman info 2>&1 | tail -n1)")
fi

# --- Docker-compatible API socket (testcontainers, docker clients, podman-compose's API users) ---
sock_ok() { curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if sock_ok; then
  say "the Docker-compatible API answers on $SOCKET"
else
  mkdir -p "$(dirname "$SOCKET")"
  say "starting the Docker-compatible API on $SOCKET (podman system service)"
  nohup podman system service --time=0 "unix://$SOCKET" >/var/log/podman-service.log 2>&1 &
  echo $! > "$SERVICE_PID"
  for _ in $(seq 1 40); do sock_ok && break; sleep 0.25; done
  sock_ok || failed+=("the Docker-compatible API on $SOCKET (see /var/log/podman-service.log)")
fi
[ "$SOCKET" = /var/run/docker.sock ] || [ -e /var/run/docker.sock ] || ln -s "$SOCKET" /var/run/docker.sock 2>/dev/null || true

# --- images -------------------------------------------------------------------------------
bash containers/build.sh || failed+=("image build (containers/build.sh; its output above says which image)")

# --- smoke run: the runtime settings the backend uses actually start a container -------------
if [ ${#failed[@]} -eq 0 ]; then
  if out=$(podman run --rm --network none localhost/datanexus-runner:latest node -e 'console.log("ok")' 2>&1) && [ "$out" = ok ]; then
    say "a container runs (runc, cgroupfs)"
  else
    failed+=("a smoke container would not run: ${out:0:300}")
  fi
fi

if [ $compose_check = 1 ] && [ ${#failed[@]} -eq 0 ]; then
  bash containers/compose-check.sh || failed+=("docker-compose.test.yml (containers/compose-check.sh)")
fi

if [ ${#failed[@]} -gt 0 ]; then
  say "not done:"; for f in "${failed[@]}"; do say "  - $f"; done
  exit 1
fi
say "podman ready"
