// A plain gRPC server that answers with its own id: node server.js <port> <id> [options]
//   --fail-every N   answer UNAVAILABLE to every Nth call (a flaky backend, for retry policies)
//   --delay-ms M     answer after M ms (a slow backend, for timeout policies)
//   --xds            serve through gRPC's XdsServer on 0.0.0.0:<port> with XdsServerCredentials: its listener, TLS and
//                    RBAC come from the control plane named in GRPC_XDS_BOOTSTRAP_CONFIG (plaintext while it sends none)
//   --tls DIR        serve mTLS with the identity files in DIR (cert.pem, key.pem, ca.pem, as kuma-proxyless-identity
//                    writes them), requiring a client certificate of that CA; each answer is "<id>/<serial number of the
//                    caller's certificate>", and connections live one second at most, so a caller's renewed
//                    certificate shows in its next handshakes
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const { definition } = require('./echo-service');

const [port, id, ...rest] = process.argv.slice(2);
const value = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const failEvery = Number(value('--fail-every') || 0);
const viaXds = rest.includes('--xds');
const delayMs = Number(value('--delay-ms') || 0);
const tlsDir = value('--tls');
let calls = 0;

let server;
let address = `127.0.0.1:${port}`;
let credentials = grpc.ServerCredentials.createInsecure();
if (viaXds) {
  const xds = require('@grpc/grpc-js-xds');
  xds.register(); // the HTTP filters (router, RBAC) the server's listener names
  server = new xds.XdsServer();
  address = `0.0.0.0:${port}`;
  credentials = new xds.XdsServerCredentials(credentials);
} else if (tlsDir) {
  const read = (file) => fs.readFileSync(path.join(tlsDir, file));
  server = new grpc.Server({ 'grpc.max_connection_age_ms': 1000, 'grpc.max_connection_age_grace_ms': 10000 });
  credentials = grpc.ServerCredentials.createSsl(read('ca.pem'), [{ cert_chain: read('cert.pem'), private_key: read('key.pem') }], true);
} else {
  server = new grpc.Server();
}
const answer = (call) => {
  if (!tlsDir) return id;
  const peer = call.getAuthContext().sslPeerCertificate;
  return `${id}/${peer ? peer.serialNumber : 'none'}`;
};
server.addService(definition, {
  whoAreYou: (call, callback) => {
    calls += 1;
    if (failEvery > 0 && calls % failEvery === 0) {
      callback({ code: grpc.status.UNAVAILABLE, details: `${id} fails call ${calls} on purpose` });
      return;
    }
    setTimeout(() => callback(null, { server: answer(call) }), delayMs);
  },
});
server.bindAsync(address, credentials, (error) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(JSON.stringify({ listening: Number(port), id }));
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
