// Browser entry: the wasm module is fetched next to this file on first use.
import startWasm from './sealbase_wasm.js';
import { createApi } from './api.js';

const api = createApi(
  () => startWasm({ module_or_path: new URL('./sealbase_wasm_bg.wasm', import.meta.url) }),
  async () => {
    const legacy = await import('./sealbase_legacy.js');
    await legacy.default({ module_or_path: new URL('./sealbase_legacy_bg.wasm', import.meta.url) });
    return legacy;
  },
);

export const {
  init, signUp, signIn, signOut, updateUser, deleteUser, verifyEmail, getAuthToken,
  encrypt, decrypt, encryptJson, decryptJson, sign, verify, sealFor, openSealed,
} = api;
export default {
  init, signUp, signIn, signOut, updateUser, deleteUser, verifyEmail, getAuthToken,
  encrypt, decrypt, encryptJson, decryptJson, sign, verify, sealFor, openSealed,
};
