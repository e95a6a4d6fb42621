// The package's API over the wasm exports: lazy module start, Promises that always settle, and errors
// that are always real `Error`s with `name`, `message` and `status`.
import * as wasm from './sealbase_wasm.js';

const serviceUnavailable = () =>
  Object.assign(new Error('Service unavailable.'), { name: 'ServiceUnavailable', status: 503 });

// Our errors carry a numeric status; anything else (a trap, a TypeError) is unexpected.
const asPublicError = (error) =>
  error instanceof Error && typeof error.status === 'number' ? error : serviceUnavailable();

// `start` loads the main module; `loadLegacy` the second one (legacy password hashes), which only a
// pending account's first sign-in needs, so it is downloaded then, once. `hooks` names further exports
// to offer the same way: only the test build has any.
export function createApi(start, loadLegacy, hooks = []) {
  const pending = new Set();
  let started;
  let legacy;
  const legacyModule = () => {
    legacy ??= loadLegacy().catch((error) => {
      legacy = undefined; // a failed download can be retried by the next first sign-in
      throw error;
    });
    return legacy;
  };
  const ready = () => {
    started ??= Promise.resolve()
      .then(start)
      .then(() => {
        // A Rust panic traps the module; reject everything in flight so no Promise hangs forever.
        wasm.setPanicHandler(() => {
          for (const reject of pending) reject(serviceUnavailable());
          pending.clear();
        });
        wasm.setLegacyHasher(async (params, password) => (await legacyModule()).legacyHash(params, password));
      })
      .catch((error) => {
        started = undefined; // a failed download can be retried by the next call
        throw error;
      });
    return started;
  };
  const wrap = (name) => (params) =>
    new Promise((resolve, reject) => {
      pending.add(reject);
      ready()
        .then(() => wasm[name](params))
        .then(resolve, (error) => reject(asPublicError(error)))
        .finally(() => pending.delete(reject));
    });
  return {
    init: wrap('init'),
    signUp: wrap('signUp'),
    signIn: wrap('signIn'),
    signOut: wrap('signOut'),
    updateUser: wrap('updateUser'),
    deleteUser: wrap('deleteUser'),
    verifyEmail: wrap('verifyEmail'),
    getAuthToken: wrap('getAuthToken'),
    encrypt: wrap('encrypt'),
    decrypt: wrap('decrypt'),
    encryptJson: wrap('encryptJson'),
    decryptJson: wrap('decryptJson'),
    sign: wrap('sign'),
    verify: wrap('verify'),
    sealFor: wrap('sealFor'),
    openSealed: wrap('openSealed'),
    ...Object.fromEntries(hooks.map((name) => [name, wrap(name)])),
  };
}
