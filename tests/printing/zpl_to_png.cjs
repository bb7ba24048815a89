#!/usr/bin/env node
// Render ZPL II labels to PNG images, as a Zebra printer would print them, so the tests
// can decode the printed symbols with real barcode readers.
//
// Usage: node zpl_to_png.cjs WIDTH_MM HEIGHT_MM DPMM < labels.zpl > images.json
// Reads every ^XA..^XZ label on standard input and writes a JSON array with one
// base64-encoded PNG per label, in order. Exits non-zero (message on stderr) when the
// arguments are wrong or rendering fails.
//
// The renderer is zpl-renderer-js (Zebrash compiled to WebAssembly), installed from the
// repository's package-lock.json by scripts/bootstrap.
"use strict";

const { ready } = require("zpl-renderer-js");

async function readStdin() {
  const parts = [];
  for await (const part of process.stdin) parts.push(part);
  return Buffer.concat(parts).toString("latin1");
}

async function main() {
  const [width, height, dpmm] = process.argv.slice(2).map(Number);
  if (![width, height, dpmm].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error("usage: zpl_to_png.cjs WIDTH_MM HEIGHT_MM DPMM < labels.zpl");
  }
  const zpl = await readStdin();
  const { api } = await ready;
  const labels = await api.zplToBase64MultipleAsync(zpl, width, height, dpmm);
  // Writes to a pipe are asynchronous: exit only once the whole answer is out.
  await new Promise((resolve, reject) =>
    process.stdout.write(JSON.stringify(labels), (err) => (err ? reject(err) : resolve())),
  );
}

main().then(
  () => process.exit(0), // the WebAssembly runtime keeps the event loop alive otherwise
  (err) => {
    process.stderr.write(`zpl_to_png: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
