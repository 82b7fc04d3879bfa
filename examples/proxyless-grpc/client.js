// A proxyless gRPC client (node client.js <target> [interval-ms] [deadline-ms] [header-name value,value,...]) resolving
// xds:///<target> through the control plane named in GRPC_XDS_BOOTSTRAP_CONFIG. It calls in a loop and prints one JSON
// line per answer, with the time it was received and how long the call took (ms), until its stdin closes. Given a
// header name and values, each call sends the next value in turn (for hash-based load balancing) and its line says which.
// With XDS_CREDENTIALS=1 it uses XdsChannelCredentials: the TLS the control plane sends for each cluster (plaintext
// while it sends none).
'use strict';
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');
const { definition } = require('./echo-service');

xds.register();
const target = process.argv[2];
const intervalMs = Number(process.argv[3] || 20);
const deadlineMs = Number(process.argv[4] || 2000);
const headerName = process.argv[5];
const headerValues = (process.argv[6] || '').split(',').filter((v) => v.length > 0);
let sent = 0;
const Client = grpc.makeGenericClientConstructor(definition, 'Echo');
const channelCredentials = process.env.XDS_CREDENTIALS === '1'
  ? new xds.XdsChannelCredentials(grpc.credentials.createInsecure())
  : grpc.credentials.createInsecure();
const client = new Client(`xds:///${target}`, channelCredentials);

let stopped = false;
// A reader that stops reading (e.g. `| head`) ends the client quietly.
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
  const deadline = new Date(started + deadlineMs);
  const metadata = new grpc.Metadata();
  const key = headerName && headerValues.length > 0 ? headerValues[sent++ % headerValues.length] : undefined;
  if (key !== undefined) metadata.set(headerName, key);
  client.whoAreYou({}, metadata, { deadline }, (error, reply) => {
    const t = Date.now();
    const line = error ? { t, ms: t - started, error: error.code, detail: error.details } : { t, ms: t - started, server: reply.server };
    if (key !== undefined) line.key = key;
    console.log(JSON.stringify(line));
    setTimeout(call, intervalMs);
  });
}
call();
