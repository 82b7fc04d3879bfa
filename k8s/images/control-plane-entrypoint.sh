#!/bin/sh
# silo: Kuma.Silo with KUMA_CLUSTER_ROLE=silo (the manifests set it); all: Kuma.Silo as a whole control plane in one
# process; gateway: Kuma.Gateway. Further arguments go to the process (e.g. "silo migrate").
set -eu
process="${1:-all}"
[ "$#" -gt 0 ] && shift
case "$process" in
  silo|all) exec dotnet /app/silo/Kuma.Silo.dll "$@" ;;
  gateway) exec dotnet /app/gateway/Kuma.Gateway.dll "$@" ;;
  *) echo "unknown process '$process': use silo, all or gateway" >&2; exit 2 ;;
esac
