// The password KDF's worker (docs/protocol.md §6.6): this package's module, compiled by the page and
// handed over, derives password keys so that signUp and signIn never run scrypt on the page's thread.
import { initSync, deriveKey, warmUp } from './sealbase_wasm.js';

self.onmessage = ({ data }) => {
  if (data.module) {
    initSync({ module: data.module });
    // A fresh engine runs the first derivation on baseline code: small ones first get scrypt optimised.
    for (let i = 0; i < 4; i += 1) warmUp();
    return;
  }
  if (data.warmUp) {
    // The first derivation at the real cost (the package's scrypt parameters, docs/protocol.md §2.1).
    deriveKey(new TextEncoder().encode('warm-up'), JSON.stringify({ algorithm: 'scrypt', logN: 15, r: 8, p: 1, salt: 'AAAAAAAAAAAAAAAAAAAAAA' })).fill(0);
    return;
  }
  const { id, password, params } = data;
  try {
    // deriveKey zeroes the password's bytes, here and in the module's memory.
    const key = deriveKey(password, params);
    self.postMessage({ id, key }, [key.buffer]);
  } catch (error) {
    password?.fill?.(0);
    // A trap (a Rust panic) leaves the module unusable: the page stops asking this worker.
    self.postMessage({ id, broken: error instanceof WebAssembly.RuntimeError });
  }
};
