#!/usr/bin/env bash
# Builds the local images the container backend and docker-compose.test.yml use, with no image
# registry: a Debian root file system from the Debian archive (debootstrap), then
#   localhost/datanexus-runner    the base + this host's own Node.js (the binary the gym runs on, and npm)
#   localhost/datanexus-postgres  the base + Debian's PostgreSQL (trust authentication, throwaway data)
#   localhost/datanexus-redis     the base + Debian's Redis
#   localhost/datanexus-rabbitmq  the base + Debian's RabbitMQ with the management plugin
# Each image is tagged with a hash of its inputs (the Containerfile, the base's hash, the files it
# copies) and :latest. An image whose hash tag exists is not rebuilt: a second run costs a few
# hashes. The debootstrapped root file system is kept as a tarball under $DN_CONTAINER_CACHE, so
# wiping podman's storage does not cost a second download.
set -euo pipefail
cd "$(dirname "$0")"
# podman here; DN_CONTAINER_ENGINE=docker on a host with a Docker engine (same commands)
ENGINE=${DN_CONTAINER_ENGINE:-podman}
image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }
CACHE=${DN_CONTAINER_CACHE:-/var/cache/datanexus-containers}
SUITE=bookworm
MIRROR=${DN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf '[images] %s\n' "$*"; }
short() { sha256sum | cut -c1-16; }
mkdir -p "$CACHE"

# Tags $1 (name:hash) as name:latest too.
tag_latest() { "$ENGINE" tag "$1" "${1%:*}:latest"; }

# --- base: a minimal Debian root file system ---------------------------------------------------
# What makes the base what it is (not this script's wording): the suite, the mirror, the variant, what is trimmed.
VARIANT=minbase
TRIM='var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/* usr/share/man/*'
base_hash=$(printf '%s\n' "$SUITE" "$MIRROR" "$VARIANT" "$TRIM" | short)
BASE=localhost/datanexus-base:$base_hash
if image_exists "$BASE"; then
  say "base $base_hash: cached"
else
  tarball=$CACHE/base-$base_hash.tar
  if [ ! -f "$tarball" ]; then
    say "base $base_hash: debootstrap $SUITE ($VARIANT) from $MIRROR"
    root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant="$VARIANT" "$SUITE" "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { say "debootstrap failed (log: $CACHE/debootstrap.log)"; exit 1; }
    # Package caches and documentation are not needed at run time.
    for t in $TRIM; do rm -rf "$root"/$t; done
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"; trap - EXIT
  fi
  say "base $base_hash: importing"
  "$ENGINE" import "$tarball" "$BASE" >/dev/null
fi
tag_latest "$BASE"
# --- end base

# Builds image $1 from $1.Containerfile when its hash tag is missing. Hash inputs: the base's
# hash, the Containerfile, and what `$2` (a function) prints about the files it copies; `$3` (a
# function) fills the build context, only when a build is needed.
build() {
  local name=$1 describe=$2 fill=$3 hash image ctx
  hash=$(printf '%s\n' "$base_hash" "$(cat "$name.Containerfile")" "$($describe)" | short)
  image=localhost/datanexus-$name:$hash
  if image_exists "$image"; then
    say "$name $hash: cached"
  else
    say "$name $hash: building"
    ctx=$CACHE/$name-context
    rm -rf "$ctx" && mkdir -p "$ctx"
    $fill "$ctx"
    "$ENGINE" build --quiet --network host --build-arg "BASE=$BASE" -f "$name.Containerfile" -t "$image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  tag_latest "$image"
  prune_old "localhost/datanexus-$name" "$hash"
}

# Removes the images of $1 tagged with another hash than $2 (an image a container still uses stays).
prune_old() {
  local tag
  for tag in $("$ENGINE" images --format '{{.Repository}}:{{.Tag}}' | grep "^$1:" | grep -v -e ":$2\$" -e ':latest$'); do
    "$ENGINE" rmi "$tag" >/dev/null 2>&1 || true
  done
}

# --- runner: this host's node (so both backends run the same binary) ---------------------------
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
runner_inputs() { sha256sum "$node_bin" | cut -d' ' -f1; sha256sum "$npm_dir/package.json" | cut -d' ' -f1; }
runner_context() { cp "$node_bin" "$1/node" && cp -a "$npm_dir" "$1/npm"; }
build runner runner_inputs runner_context

# --- servers (everything they need comes from the Debian archive) --------------------------------
no_files() { :; }
for s in postgres redis rabbitmq; do build "$s" no_files no_files; done
say "images ready: $("$ENGINE" images --format '{{.Repository}}:{{.Tag}}' | grep -c 'datanexus-.*:latest') tagged :latest"
