// A plain gRPC server that answers with its own id: node server.js <port> <id> [options]
//   --fail-every N   answer UNAVAILABLE to every Nth call (a flaky backend, for retry policies)
//   --delay-ms M     answer after M ms (a slow backend, for timeout policies)
'use strict';
const grpc = require('@grpc/grpc-js');
const { definition } = require('./echo-service');

const [port, id, ...rest] = process.argv.slice(2);
const option = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : 0;
};
const failEvery = option('--fail-every');
const delayMs = option('--delay-ms');
let calls = 0;

const server = new grpc.Server();
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
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(JSON.stringify({ listening: Number(port), id }));
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
