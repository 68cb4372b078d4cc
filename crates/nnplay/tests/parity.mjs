// Prints nnplay's fixed training runs (name, fingerprint, loss, accuracy) as computed by the
// WebAssembly build, for tests/wasm_parity.rs to compare with the native build's.
// Usage: node parity.mjs PKG_DIR   (the folder wasm-bindgen wrote nnplay.js and nnplay_bg.wasm to)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = path.resolve(process.argv[2]);
const mod = await import(pathToFileURL(path.join(dir, 'nnplay.js')).href);
mod.initSync({ module: readFileSync(path.join(dir, 'nnplay_bg.wasm')) });
console.log(mod.parity_fingerprints());
