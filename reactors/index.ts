/** The reactor base classes of reactor-rpc (gRPC C++ callback API, gRFC L67). */
export { ClientUnaryReactor, ClientReadReactor, ClientWriteReactor, ClientBidiReactor, type AnyClientReactor } from './client-reactors.js';
export { ServerUnaryReactor, ServerReadReactor, ServerWriteReactor, ServerBidiReactor, type AnyServerReactor } from './server-reactors.js';
export { ServerContext } from './server-context.js';
export { type WriteOptions } from './client-binding.js';
export { ReactorMisuseError } from './misuse.js';
export { bindClientReactor } from './client-bind.js';
export { dispatchServerCall, type ReactorHandler } from './server-dispatch.js';
