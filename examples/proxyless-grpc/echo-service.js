// A one-method gRPC service described in code (no .proto): JSON in, JSON out.
'use strict';
const json = {
  serialize: (value) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes) => JSON.parse(bytes.toString()),
};
exports.definition = {
  whoAreYou: {
    path: '/kuma.test.Echo/WhoAreYou',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
