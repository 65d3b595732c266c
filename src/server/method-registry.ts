import type { CallRouter, MethodKind, ServerCall } from '../call/call.js';
import { Code } from '../status/code.js';
import { type Status, status } from '../status/status.js';

/** CallHandler receives one server call of a registered method. */
export type CallHandler = (call: ServerCall) => void;

/** RegisteredMethod is one method entry of the registry. */
export interface RegisteredMethod {
  /** kind is the streaming shape. */
  kind: MethodKind;
  /** handler receives each call. */
  handler: CallHandler;
}

/**
 * MethodRegistry is the call-level method table a server session routes
 * through: methods are registered by service name and method name, unknown
 * ones are answered with UNIMPLEMENTED and the same message text the Go ttrpc
 * server sends (`service X` / `method X`). An optional fallback receives
 * every unregistered method (the generic service).
 */
export class MethodRegistry implements CallRouter {
  private readonly services = new Map<string, Map<string, RegisteredMethod>>();
  // The same entries by full path `/service/method`, so handle() needs no string splitting.
  private readonly byPath = new Map<string, RegisteredMethod>();
  private fallback: RegisteredMethod | undefined;

  /** register adds (or replaces) one method; throws on an empty name. */
  register(service: string, method: string, kind: MethodKind, handler: CallHandler): void {
    if (!service || !method) throw new Error('service and method names must not be empty');
    let m = this.services.get(service);
    if (!m) this.services.set(service, (m = new Map()));
    const entry = { kind, handler };
    m.set(method, entry);
    this.byPath.set(`/${service}/${method}`, entry);
  }

  /** setFallback routes every unregistered method to one handler of the given kind (usually bidi). */
  setFallback(kind: MethodKind, handler: CallHandler): void {
    this.fallback = { kind, handler };
  }

  /** has tells whether a method is registered. */
  has(service: string, method: string): boolean {
    return this.services.get(service)?.has(method) ?? false;
  }

  /** lookup returns the kind of a method or the UNIMPLEMENTED status for an unknown one. */
  lookup(service: string, method: string, hint?: MethodKind): MethodKind | Status {
    const s = this.services.get(service);
    const m = s?.get(method);
    if (m) return m.kind;
    if (this.fallback) return hint ?? this.fallback.kind;
    return s ? status(Code.UNIMPLEMENTED, `method ${method}`) : status(Code.UNIMPLEMENTED, `service ${service}`);
  }

  /** handle dispatches a call that lookup accepted. */
  handle(call: ServerCall): void {
    const known = this.byPath.get(call.method);
    if (known) return known.handler(call);
    const { service, method } = split(call.method);
    const m = this.services.get(service)?.get(method) ?? this.fallback;
    if (!m) return call.finish(status(Code.UNIMPLEMENTED, `method ${method}`));
    m.handler(call);
  }
}

function split(full: string): { service: string; method: string } {
  const i = full.lastIndexOf('/');
  return { service: full.slice(1, i), method: full.slice(i + 1) };
}
