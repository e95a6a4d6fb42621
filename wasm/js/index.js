// Browser entry: the wasm module is fetched next to this file on first use; password keys are derived
// in a module worker (worker.js).
import startWasm from './sealbase_wasm.js';
import { createApi } from './api.js';

// Compiled here once, then run both on the page and in the KDF's worker.
let compiled;
const compile = async (url) => {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A server that does not answer `application/wasm`: compile the bytes.
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
};

const api = createApi(
  async () => {
    compiled = await compile(new URL('./sealbase_wasm_bg.wasm', import.meta.url));
    return startWasm({ module_or_path: compiled });
  },
  async () => {
    const legacy = await import('./sealbase_legacy.js');
    await legacy.default({ module_or_path: new URL('./sealbase_legacy_bg.wasm', import.meta.url) });
    return legacy;
  },
  () => ({ worker: new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), module: compiled }),
);

export const {
  init, signUp, signIn, signOut, updateUser, deleteUser, verifyEmail, getAuthToken,
  generateRecoveryKey, resetPassword,
  encrypt, decrypt, encryptJson, decryptJson, sign, verify, sealFor, openSealed,
} = api;
export default {
  init, signUp, signIn, signOut, updateUser, deleteUser, verifyEmail, getAuthToken,
  generateRecoveryKey, resetPassword,
  encrypt, decrypt, encryptJson, decryptJson, sign, verify, sealFor, openSealed,
};
