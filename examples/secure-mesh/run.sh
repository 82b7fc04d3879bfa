#!/usr/bin/env bash
# A zero-trust mesh with proxyless gRPC: mTLS on, "web" may call "backend", "other" may not, the mesh moves to a new CA,
# and a leaked token is revoked. Needs a running control plane whose DP server speaks plaintext (proxyless Node.js
# clients use insecure channel credentials for xDS itself; the calls between workloads are mTLS):
#   KUMA_DP_SERVER_TLS_ENABLED=false dotnet run --project Kuma.Silo
# HELPER is the command running kuma-proxyless-identity (default: dotnet run --project Kuma.ProxylessIdentity --).
set -euo pipefail
CP=${CP:-http://127.0.0.1:5681}
DP=${DP:-127.0.0.1:5678}
PORT=${PORT:-7201}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/examples/lib/process-group.sh"
own_process_group "$@"
read -r -a helper <<< "${HELPER:-dotnet run --project $repo/Kuma.ProxylessIdentity --}"
grpc="$repo/examples/proxyless-grpc"
export NODE_PATH="$repo/node/node_modules"
[ -d "$NODE_PATH/@grpc/grpc-js-xds" ] || (cd "$repo/node" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
work=$(mktemp -d)
CLEANUP_PATHS+=("$work")

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
    --dir "$work/$name" --bootstrap-out "$work/$name.json" --poll-interval 2s --refresh-interval 1s > "$work/$name.log" 2>&1 &
done
# (three minutes at most: the default HELPER, dotnet run, builds the helper first)
for name in backend-1 web other; do
  for _ in $(seq 900); do [ -s "$work/$name.json" ] && break; sleep 0.2; done
  [ -s "$work/$name.json" ] || { echo "no identity for $name:"; cat "$work/$name.log"; exit 1; }
done

# 5. The backend serves through gRPC's XdsServer: its listener, mTLS and RBAC come from the control plane.
GRPC_XDS_BOOTSTRAP="$work/backend-1.json" GRPC_XDS_EXPERIMENTAL_RBAC=true \
  node "$grpc/server.js" "$PORT" backend-1 --xds < <(sleep 3600) > "$work/server.out" 2>&1 &

# 6. Each caller makes calls over mTLS until one is answered or refused (status 7 is PERMISSION_DENIED), for a minute
#    at most (the client stops when its stdin ends).
first_answer() {
  GRPC_XDS_BOOTSTRAP="$work/$1.json" XDS_CREDENTIALS=1 node "$grpc/client.js" backend 200 2000 < <(sleep 60) 2>> "$work/client.log" \
    | grep -m1 -E '"server"|"error":7' || true
}
echo "web calls backend:   $(first_answer web)"
echo "other calls backend: $(first_answer other)"

# 7. A new CA: list a second builtin backend and enable it in one write. Every workload trusts both CAs before any
#    leaf of the new one is issued; once they all hold leaves of ca-2, the old backend can go.
mesh() {
  curl -sf -X PUT "$CP/meshes/secure" -H "$AUTH" -d "{\"type\":\"Mesh\",\"name\":\"secure\",
    \"mtls\":{\"enabledBackend\":\"ca-2\",\"backends\":[$1]}}" >/dev/null
}
# holds <node-expression over leaf, bundle and ca (crypto.X509Certificate), bundle as text: b> <workload>...
holds() {
  local check=$1 name
  shift
  for name in "$@"; do
    node -e 'const {X509Certificate}=require("crypto"),fs=require("fs"),[,d,c,e]=process.argv;
      const leaf=new X509Certificate(fs.readFileSync(d+"/cert.pem")),b=fs.readFileSync(d+"/ca.pem","utf8"),ca=new X509Certificate(c);
      process.exit(eval(e)?0:1)' "$work/$name" "$ca2" "$check" || return 1
  done
}
wait_until() {
  for _ in $(seq 300); do holds "$@" && return 0; sleep 0.2; done
  echo "not within a minute: $1"; tail -n 5 "$work"/*.log; exit 1
}
builtin_ca_1='{"name":"ca-1","type":"builtin"}'
builtin_ca_2='{"name":"ca-2","type":"builtin"}'
mesh "$builtin_ca_1,$builtin_ca_2"
ca2=$(curl -sf "$CP/meshes/secure/secrets/secure.ca-builtin-cert-ca-2" -H "$AUTH" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(Buffer.from(JSON.parse(s).data,"base64")))')
wait_until 'leaf.verify(ca.publicKey)' backend-1 web
echo "web calls backend, leaves of ca-2:  $(first_answer web)"
mesh "$builtin_ca_2"
wait_until 'b.match(/BEGIN CERTIFICATE/g).length===1 && new X509Certificate(b).fingerprint256===ca.fingerprint256' backend-1 web
echo "web calls backend, ca-1 removed:    $(first_answer web)"

# 8. web's token leaked: revoke it by its id (jti). Its xDS stream is closed, and it gets no new certificate.
jti=$(node -e 'const p=process.argv[1].split(".")[1];console.log(JSON.parse(Buffer.from(p,"base64url")).jti)' "$(cat "$work/web.token")")
curl -sf -X PUT "$CP/meshes/secure/secrets/dataplane-token-revocations-secure" -H "$AUTH" \
  -d "{\"type\":\"Secret\",\"mesh\":\"secure\",\"name\":\"dataplane-token-revocations-secure\",\"data\":\"$(printf %s "$jti" | base64 -w0)\"}" >/dev/null
# The refusal comes once the secret reached the node answering (a moment after the write).
for _ in $(seq 50); do
  refusal=$(curl -s --http2-prior-knowledge -o "$work/refusal.json" -w '%{http_code}' "http://$DP/proxyless/identity?mesh=secure&name=web" \
    -H "Authorization: Bearer $(cat "$work/web.token")")
  [ "$refusal" = 200 ] || break
  sleep 0.2
done
echo "web's token revoked: $refusal $(cat "$work/refusal.json")"
