// A proxyless gRPC client on mesh mTLS: node mtls-client.js <target> [interval-ms]. Its bootstrap is the file named by
// GRPC_XDS_BOOTSTRAP (kuma-proxyless-identity's --bootstrap-out); XdsChannelCredentials take the TLS context the
// control plane sends for xds:///<target> and the certificates from the bootstrap's providers. One JSON line per answer
// (or error) until stdin closes.
'use strict';
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');
const { definition } = require('./echo-service');

xds.register();
const target = process.argv[2];
const intervalMs = Number(process.argv[3] || 50);
const Client = grpc.makeGenericClientConstructor(definition, 'Echo');
const client = new Client(`xds:///${target}`, new xds.XdsChannelCredentials(grpc.credentials.createInsecure()));

let stopped = false;
process.stdout.on('error', () => process.exit(0));
process.stdin.on('end', () => {
  stopped = true;
  client.close();
  setTimeout(() => process.exit(0), 100);
});
process.stdin.resume();

function call() {
  if (stopped) return;
  const started = Date.now();
  client.whoAreYou({}, { deadline: new Date(started + 2000) }, (error, reply) => {
    const t = Date.now();
    console.log(JSON.stringify(error ? { t, error: error.code, detail: error.details } : { t, server: reply.server }));
    setTimeout(call, intervalMs);
  });
}
call();
