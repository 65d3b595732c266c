// A small service definition shared by the examples. Real projects generate
// definitions from .proto files (`reactor-rpc gen`); here messages are JSON so
// the examples stand alone.
import { defineService, type TypedMethod, type MethodKind } from '../src/index.js';

/** HelloRequest is the request of every Greeter method. */
export interface HelloRequest {
  name: string;
}

/** HelloReply is the response of every Greeter method. */
export interface HelloReply {
  message: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function method<K extends MethodKind>(name: string, kind: K): TypedMethod<HelloRequest, HelloReply, K> {
  return {
    path: `/demo.Greeter/${name}`,
    kind,
    serializeRequest: (v) => enc.encode(JSON.stringify(v)),
    deserializeRequest: (b) => JSON.parse(dec.decode(b)) as HelloRequest,
    serializeResponse: (v) => enc.encode(JSON.stringify(v)),
    deserializeResponse: (b) => JSON.parse(dec.decode(b)) as HelloReply,
  };
}

/** Greeter has one method per call shape. */
export const Greeter = defineService('demo.Greeter', {
  SayHello: method('SayHello', 'unary'),
  LotsOfReplies: method('LotsOfReplies', 'server_stream'),
  LotsOfGreetings: method('LotsOfGreetings', 'client_stream'),
  Chat: method('Chat', 'bidi'),
});
