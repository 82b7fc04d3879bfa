#!/usr/bin/env bash
# Proxyless gRPC through the mesh: two servers of service "backend" and a client calling
# xds:///backend, all in mesh "shop" of tenant "demo". Needs a running control plane whose DP
# server speaks plaintext (proxyless Node.js clients use insecure channel credentials):
#   KUMA_DP_SERVER_TLS_ENABLED=false dotnet run --project Kuma.Silo
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/process-group.sh"
own_process_group "$@"
CP=${CP:-http://127.0.0.1:5681}
DP=${DP:-127.0.0.1:5678}
read -r -a ports <<< "${PORTS:-7101 7102}"
export NODE_PATH="$here/../../node/node_modules"
[ -d "$NODE_PATH/@grpc/grpc-js-xds" ] || (cd "$here/../../node" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)

# Tenant, a user token for it, and the mesh.
curl -sf -X PUT "$CP/tenants/demo" -d '{"type":"Tenant","name":"demo"}' >/dev/null
AUTH="Authorization: Bearer $(curl -sf -X POST "$CP/tokens/user" -d '{"name":"demo","groups":["mesh-system:admin"],"tenant":"demo","validFor":"1h"}')"
curl -sf -X PUT "$CP/meshes/shop" -H "$AUTH" -d '{"type":"Mesh","name":"shop"}' >/dev/null

# Two servers, each registered as a dataplane of service "backend".
for i in 1 2; do
  port=${ports[$((i - 1))]}
  curl -sf -X PUT "$CP/meshes/shop/dataplanes/backend-$i" -H "$AUTH" -d "{
    \"type\":\"Dataplane\",\"mesh\":\"shop\",\"name\":\"backend-$i\",
    \"networking\":{\"address\":\"127.0.0.1\",\"inbound\":[{\"port\":$port,
      \"tags\":{\"kuma.io/service\":\"backend\",\"kuma.io/protocol\":\"grpc\"}}]}}" >/dev/null
  node "$here/server.js" "$port" "backend-$i" < <(sleep 3600) &
done

# The client's identity: a dataplane token, carried in node metadata (gRPC clients cannot set call metadata on xDS).
TOKEN=$(curl -sf -X POST "$CP/tokens/dataplane" -H "$AUTH" -d '{"name":"client","mesh":"shop","validFor":"1h"}')
export GRPC_XDS_BOOTSTRAP_CONFIG="{
  \"xds_servers\":[{\"server_uri\":\"$DP\",\"channel_creds\":[{\"type\":\"insecure\"}],\"server_features\":[\"xds_v3\"]}],
  \"node\":{\"id\":\"shop.client\",\"locality\":{\"zone\":\"default\"},\"metadata\":{\"dataplane.token\":\"$TOKEN\"}}}"

echo "calling xds:///backend (answers alternate between the two servers):"
# Ten answers end it (the client stops when head does); the minute is only a bound for a mesh that never answers.
timeout --foreground 60 node "$here/client.js" backend 250 < <(sleep 60) | head -n 10 || true
