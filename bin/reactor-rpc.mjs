#!/usr/bin/env node
// reactor-rpc command line entry. Runs the built CLI (dist/cli.js) when it
// exists; otherwise (a fresh clone before `npm run build`, or with
// REACTOR_RPC_FROM_SOURCE=1) it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
const fromSource = process.env.REACTOR_RPC_FROM_SOURCE === '1' || !existsSync(built);

/** loadMain imports the CLI module and returns its main function. */
async function loadMain() {
  if (!fromSource) return (await import(built.href)).main;
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch (err) {
    throw new Error('reactor-rpc: dist/cli.js is missing and tsx is not installed; run `npm run build` first', { cause: err });
  }
  register();
  return (await import(source.href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
