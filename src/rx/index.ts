/**
 * reactor-rpc/rx: rxjs Observable bridges for clients and servers (rxjs is an
 * optional peer dependency; the core entry never loads this one).
 *
 * @module reactor-rpc/rx
 */
// reactor-rpc/rx: rxjs bridges for clients and servers. A separate entry so
// users who do not use rxjs never load it.
export { observeUnary, observeServerStream, observeClientStream, observeBidi } from './client.js';
export { rxUnary, rxServerStream, rxClientStream, rxBidi } from './server.js';
export { WriteQueue } from './write-queue.js';
export { toRxScheduler, type RxAdapterOptions } from '../scheduler/rx-adapter.js';
