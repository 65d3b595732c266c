// uvu's `test` for suites whose failures may be RpcErrors: uvu prints an
// error's `details` as a string, and an RpcError's `details` is an array, so
// such a failure would stop the run without a report. It is rethrown as a
// plain Error carrying the same message.
import { test as uvuTest } from 'uvu';
import { RpcError } from '../../src/status/rpc-error.js';

/** test registers a uvu test whose RpcError failures are reported like any other. */
export const test = Object.assign(
  (name: string, fn: () => Promise<void> | void): void =>
    uvuTest(name, async () => {
      try {
        await fn();
      } catch (e) {
        throw e instanceof RpcError ? new Error(`unexpected ${e.message}`, { cause: e }) : e;
      }
    }),
  { run: (): void => uvuTest.run() },
);
