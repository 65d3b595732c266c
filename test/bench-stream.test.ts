// The streaming benchmark's harness (bench/stream-bench.ts) at a small size:
// for ttrpc, upstream drpc (pooled connections) and multiplexed drpc, one
// server stream of 20,000 messages (async-generator and ServerWriteReactor
// handlers, and a consumer that pauses 1 ms every 1,000 messages) and 8 bidi
// streams × 500 pipelined echoes, with the server in its own process over a
// unix socket. Every stream must end with OK and deliver all its messages in
// order. Each row has a deadline (generous: the suite runs files in parallel
// on small machines), so a stalled stream fails its row with TIMEOUT instead
// of hanging the suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type StreamSizes, describeResult, runStreamScenario, streamScenarios } from '../bench/stream-bench.js';

const SIZES: StreamSizes = { messages: 20_000, payloadBytes: 64, bidiStreams: 8, bidiMessages: 500, pauseEvery: 1_000, pauseMs: 1 };
const ROW_TIMEOUT_MS = 30_000;

for (const s of streamScenarios(SIZES)) {
  test(`${s.name}: ${s.streams} x ${s.messages} messages end OK and in order`, async () => {
    const r = await runStreamScenario(s, { timeoutMs: ROW_TIMEOUT_MS });
    assert.ok(r.ok, describeResult(r));
    assert.is(r.received, r.expected, describeResult(r));
  });
}

test.run();
