// A plain gRPC server that answers with its own id: node server.js <port> <id>
'use strict';
const grpc = require('@grpc/grpc-js');
const { definition } = require('./echo-service');

const [port, id] = process.argv.slice(2);
const server = new grpc.Server();
server.addService(definition, {
  whoAreYou: (call, callback) => callback(null, { server: id }),
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
