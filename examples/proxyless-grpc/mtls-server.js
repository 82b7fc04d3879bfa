// A gRPC server on mesh mTLS with its identity read from files (as kuma-proxyless-identity writes them), requiring a
// client certificate of the same mesh CA: node mtls-server.js <port> <id> <identity-dir>
// Each answer is "<id>/<serial number of the caller's certificate>". Connections live one second at most, so a
// caller's renewed certificate shows in its next handshakes.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const { definition } = require('./echo-service');

const [port, id, dir] = process.argv.slice(2);
const read = (file) => fs.readFileSync(path.join(dir, file));

const server = new grpc.Server({ 'grpc.max_connection_age_ms': 1000, 'grpc.max_connection_age_grace_ms': 10000 });
server.addService(definition, {
  whoAreYou: (call, callback) => {
    const peer = call.getAuthContext().sslPeerCertificate;
    callback(null, { server: `${id}/${peer ? peer.serialNumber : 'none'}` });
  },
});
const credentials = grpc.ServerCredentials.createSsl(read('ca.pem'), [{ cert_chain: read('cert.pem'), private_key: read('key.pem') }], true);
server.bindAsync(`127.0.0.1:${port}`, credentials, (error) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(JSON.stringify({ listening: Number(port), id }));
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
