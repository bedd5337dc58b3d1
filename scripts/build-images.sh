#!/usr/bin/env bash
# Build the serving image (seldon/Dockerfile) or the pipeline image (docker/pipeline.Dockerfile)
# on a machine that cannot pull base images: a Debian bookworm root filesystem made with
# debootstrap (Python 3.11) becomes the base, then podman builds the Dockerfile unchanged on it.
# Needs root, debootstrap and podman (apt-get install debootstrap podman).
#   bash scripts/build-images.sh serving    # -> localhost/alpr-seldon:0.1.0
#   bash scripts/build-images.sh pipeline   # -> localhost/alpr-pipeline:0.1.0
# Where pip is configured with local package mirrors (/etc/xdg/pip, /opt/pypi...), the build
# sees them read-only, so it installs what the machine's own environments install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:?serving or pipeline}
case $what in
  serving) file=seldon/Dockerfile; tag=localhost/alpr-seldon:0.1.0 ;;
  pipeline) file=docker/pipeline.Dockerfile; tag=localhost/alpr-pipeline:0.1.0 ;;
  *) echo "unknown image '$what': serving or pipeline" >&2; exit 2 ;;
esac
base=localhost/alpr-base:bookworm
log() { echo "[build-images $(date +%H:%M:%S)] $*"; }

if ! podman image exists "$base"; then
  rootfs=$(mktemp -d /tmp/alpr-rootfs.XXXXXX)
  log "debootstrap: Debian bookworm with Python 3.11 into $rootfs"
  debootstrap --variant=minbase --include=python3,python3-pip,python3-dev,python-is-python3,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  tar -C "$rootfs" -c . | podman import --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" >/dev/null
  rm -rf "$rootfs"
  log "base image $base"
fi

mounts=()
for dir in /etc/xdg/pip /opt/pypi /opt/pypi-more /opt/wheels; do
  [ -e "$dir" ] && mounts+=(-v "$dir:$dir:ro")
done
# the machine's CA bundle, which may hold a proxy's certificate that PyPI's answers are signed with
mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
log "building $file as $tag (podman, chroot isolation)"
podman build --isolation chroot --build-arg BASE="$base" "${mounts[@]}" -f "$file" -t "$tag" .
log "built $tag: $(podman image inspect "$tag" --format '{{.Size}}') bytes"
