// A plain gRPC server that answers with its own id: node server.js <port> <id> [options]
//   --fail-every N   answer UNAVAILABLE to every Nth call (a flaky backend, for retry policies)
//   --delay-ms M     answer after M ms (a slow backend, for timeout policies)
//   --xds            serve through gRPC's XdsServer on 0.0.0.0:<port> with XdsServerCredentials: its listener, TLS and
//                    RBAC come from the control plane named in GRPC_XDS_BOOTSTRAP_CONFIG (plaintext while it sends none)
'use strict';
const grpc = require('@grpc/grpc-js');
const { definition } = require('./echo-service');

const [port, id, ...rest] = process.argv.slice(2);
const option = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : 0;
};
const failEvery = option('--fail-every');
const viaXds = rest.includes('--xds');
const delayMs = option('--delay-ms');
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
} else {
  server = new grpc.Server();
}
server.addService(definition, {
  whoAreYou: (call, callback) => {
    calls += 1;
    if (failEvery > 0 && calls % failEvery === 0) {
      callback({ code: grpc.status.UNAVAILABLE, details: `${id} fails call ${calls} on purpose` });
      return;
    }
    setTimeout(() => callback(null, { server: id }), delayMs);
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
