#!/bin/sh
# Debian's Ceph daemons for the S3 tests and `pnpm cluster`, which start a single-node radosgw
# (packages/server/src/dev/radosgw.ts).
# Idempotent: does nothing when the daemons are already on PATH.
set -eu

if command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-ceph: radosgw is missing; as root on Debian run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw" >&2
  exit 1
fi

echo "install-ceph: installing ceph-mon ceph-osd radosgw (apt-get)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw >/dev/null
