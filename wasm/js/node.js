// Node entry (>= 20): the wasm module is read from disk. Node has no Web Storage, so `rememberMe`
// 'local' and 'session' keep the session in memory for the life of the process. Password keys are
// derived on this thread: a server process has no page to keep responsive.
import { readFile } from 'node:fs/promises';
import startWasm from './sealbase_wasm.js';
import { createApi } from './api.js';

const api = createApi(
  async () => startWasm({ module_or_path: await readFile(new URL('./sealbase_wasm_bg.wasm', import.meta.url)) }),
  async () => {
    const legacy = await import('./sealbase_legacy.js');
    await legacy.default({ module_or_path: await readFile(new URL('./sealbase_legacy_bg.wasm', import.meta.url)) });
    return legacy;
  },
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
