// reactor-rpc public entry: everything a user may import, and nothing else.
export { Code, codeName } from './status/code.js';
export { type Status, type StatusDetail, OK_STATUS, status, isOk, formatStatus } from './status/status.js';
export { RpcError } from './status/rpc-error.js';
export { Metadata, type MetadataInit } from './metadata/metadata.js';
