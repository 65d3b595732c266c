// The generic proxy: forwards any call from a Server to an upstream Client.
export { createProxy, type ProxyOptions, type UpstreamSource } from './create-proxy.js';
export type { ProxyCallLog } from './proxy-call.js';
export { ReconnectingUpstream } from './reconnecting-upstream.js';
