import { ttrpc } from '../../../generated/interop.js';
import { defineService, type TypedMethod } from '../../services/definition.js';

const v1 = ttrpc.interop.v1;

type Payload = ttrpc.interop.v1.IPayload;

function m<Req, Res, K extends TypedMethod<Req, Res>['kind']>(
  path: string,
  kind: K,
  req: { encode(m: Req): { finish(): Uint8Array }; decode(b: Uint8Array): Req },
  res: { encode(m: Res): { finish(): Uint8Array }; decode(b: Uint8Array): Res },
): TypedMethod<Req, Res, K> {
  return {
    path,
    kind,
    serializeRequest: (x) => req.encode(x).finish(),
    deserializeRequest: (b) => req.decode(b),
    serializeResponse: (x) => res.encode(x).finish(),
    deserializeResponse: (b) => res.decode(b),
  };
}

const E = '/ttrpc.interop.v1.Echo';
const S = '/ttrpc.interop.v1.Streaming';

/** EchoService is the ttrpc interop unary service `ttrpc.interop.v1.Echo`. */
export const EchoService = defineService('ttrpc.interop.v1.Echo', {
  Echo: m<Payload, Payload, 'unary'>(`${E}/Echo`, 'unary', v1.Payload, v1.Payload),
  Fail: m<ttrpc.interop.v1.IFailRequest, Payload, 'unary'>(`${E}/Fail`, 'unary', v1.FailRequest, v1.Payload),
  Metadata: m<Payload, ttrpc.interop.v1.IMetadataResponse, 'unary'>(`${E}/Metadata`, 'unary', v1.Payload, v1.MetadataResponse),
  Sleep: m<ttrpc.interop.v1.ISleepRequest, Payload, 'unary'>(`${E}/Sleep`, 'unary', v1.SleepRequest, v1.Payload),
  Big: m<ttrpc.interop.v1.IBigRequest, Payload, 'unary'>(`${E}/Big`, 'unary', v1.BigRequest, v1.Payload),
});

/** StreamingService is the ttrpc interop streaming service `ttrpc.interop.v1.Streaming`. */
export const StreamingService = defineService('ttrpc.interop.v1.Streaming', {
  ServerStream: m<ttrpc.interop.v1.IStreamRequest, Payload, 'server_stream'>(`${S}/ServerStream`, 'server_stream', v1.StreamRequest, v1.Payload),
  ClientStream: m<Payload, Payload, 'client_stream'>(`${S}/ClientStream`, 'client_stream', v1.Payload, v1.Payload),
  BidiEcho: m<Payload, Payload, 'bidi'>(`${S}/BidiEcho`, 'bidi', v1.Payload, v1.Payload),
});
