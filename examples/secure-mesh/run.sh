#!/usr/bin/env bash
# A zero-trust mesh with proxyless gRPC: mTLS on, "web" may call "backend", "other" may not, and a leaked token is
# revoked. Needs a running control plane whose DP server speaks plaintext (proxyless Node.js clients use insecure
# channel credentials for xDS itself; the calls between workloads are mTLS):
#   KUMA_DP_SERVER_TLS_ENABLED=false dotnet run --project Kuma.Silo
# HELPER is the command running kuma-proxyless-identity (default: dotnet run --project Kuma.ProxylessIdentity --).
set -euo pipefail
CP=${CP:-http://127.0.0.1:5681}
DP=${DP:-127.0.0.1:5678}
PORT=${PORT:-7201}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
read -r -a helper <<< "${HELPER:-dotnet run --project $repo/Kuma.ProxylessIdentity --}"
grpc="$repo/examples/proxyless-grpc"
export NODE_PATH="$repo/node/node_modules"
[ -d "$NODE_PATH/@grpc/grpc-js-xds" ] || (cd "$repo/node" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

# 1. A tenant and a mesh with mTLS: a builtin CA, STRICT (only mesh members with a certificate of it get in).
curl -sf -X PUT "$CP/tenants/secure-demo" -d '{"type":"Tenant","name":"secure-demo"}' >/dev/null
AUTH="Authorization: Bearer $(curl -sf -X POST "$CP/tokens/user" -d '{"name":"ops","groups":["mesh-system:admin"],"tenant":"secure-demo","validFor":"1h"}')"
curl -sf -X PUT "$CP/meshes/secure" -H "$AUTH" -d '{"type":"Mesh","name":"secure",
  "mtls":{"enabledBackend":"ca-1","backends":[{"name":"ca-1","type":"builtin"}]}}' >/dev/null

# 2. Three proxyless workloads; with mTLS on and no MeshTrafficPermission, nobody may call anybody.
for workload in backend-1:backend:$PORT web:web:$((PORT + 1)) other:other:$((PORT + 2)); do
  IFS=: read -r name service port <<< "$workload"
  curl -sf -X PUT "$CP/meshes/secure/dataplanes/$name" -H "$AUTH" -d "{\"type\":\"Dataplane\",\"mesh\":\"secure\",\"name\":\"$name\",
    \"labels\":{\"kuma.io/proxy-type\":\"proxyless\"},\"networking\":{\"address\":\"127.0.0.1\",
    \"inbound\":[{\"port\":$port,\"tags\":{\"kuma.io/service\":\"$service\",\"kuma.io/protocol\":\"grpc\"}}]}}" >/dev/null
done

# 3. "web" may call "backend"; everybody else stays refused.
curl -sf -X PUT "$CP/meshes/secure/meshtrafficpermissions/backend-callers" -H "$AUTH" -d '{"type":"MeshTrafficPermission",
  "mesh":"secure","name":"backend-callers","spec":{"targetRef":{"kind":"MeshService","name":"backend"},
  "from":[{"targetRef":{"kind":"MeshService","name":"web"},"default":{"action":"Allow"}}]}}' >/dev/null

# 4. Each workload's identity: a dataplane token, and kuma-proxyless-identity keeping its certificate, key and the
#    mesh's CA as files, with a gRPC bootstrap naming them.
for name in backend-1 web other; do
  curl -sf -X POST "$CP/tokens/dataplane" -H "$AUTH" -d "{\"name\":\"$name\",\"mesh\":\"secure\",\"validFor\":\"1h\"}" > "$work/$name.token"
  "${helper[@]}" --address "http://$DP" --mesh secure --name "$name" --token-file "$work/$name.token" \
    --dir "$work/$name" --bootstrap-out "$work/$name.json" --poll-interval 2s --refresh-interval 1s 2> "$work/$name.log" &
  pids+=($!)
done
for name in backend-1 web other; do
  for _ in $(seq 300); do [ -s "$work/$name.json" ] && break; sleep 0.2; done
  [ -s "$work/$name.json" ] || { echo "no identity for $name:"; cat "$work/$name.log"; exit 1; }
done

# 5. The backend serves through gRPC's XdsServer: its listener, mTLS and RBAC come from the control plane.
GRPC_XDS_BOOTSTRAP="$work/backend-1.json" GRPC_XDS_EXPERIMENTAL_RBAC=true \
  node "$grpc/server.js" "$PORT" backend-1 --xds < <(sleep 3600) > "$work/server.out" &
pids+=($!)

# 6. Each caller makes calls over mTLS until one is answered or refused (status 7 is PERMISSION_DENIED).
first_answer() {
  GRPC_XDS_BOOTSTRAP="$work/$1.json" XDS_CREDENTIALS=1 timeout 60 node "$grpc/client.js" backend 200 2000 < <(sleep 60) \
    | grep -m1 -E '"server"|"error":7' || true
}
echo "web calls backend:   $(first_answer web)"
echo "other calls backend: $(first_answer other)"

# 7. web's token leaked: revoke it by its id (jti). Its xDS stream is closed, and it gets no new certificate.
jti=$(node -e 'const p=process.argv[1].split(".")[1];console.log(JSON.parse(Buffer.from(p,"base64url")).jti)' "$(cat "$work/web.token")")
curl -sf -X PUT "$CP/meshes/secure/secrets/dataplane-token-revocations-secure" -H "$AUTH" \
  -d "{\"type\":\"Secret\",\"mesh\":\"secure\",\"name\":\"dataplane-token-revocations-secure\",\"data\":\"$(printf %s "$jti" | base64 -w0)\"}" >/dev/null
echo "web's token revoked: $(curl -s --http2-prior-knowledge "http://$DP/proxyless/identity?mesh=secure&name=web" -H "Authorization: Bearer $(cat "$work/web.token")")"
