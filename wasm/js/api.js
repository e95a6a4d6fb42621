// The package's API over the wasm exports: lazy module start, Promises that always settle, and errors
// that are always real `Error`s with `name`, `message` and `status`.
import * as wasm from './sealbase_wasm.js';

const serviceUnavailable = () =>
  Object.assign(new Error('Service unavailable.'), { name: 'ServiceUnavailable', status: 503 });

// Our errors carry a numeric status; anything else (a trap, a TypeError) is unexpected.
const asPublicError = (error) =>
  error instanceof Error && typeof error.status === 'number' ? error : serviceUnavailable();

// The device key: per app, a non-extractable HMAC key in IndexedDB, which no script can read. The
// module seals the stored session under a key derived from it, so Web Storage holds ciphertext only
// (docs/protocol.md §6.5). `create` is false at init: a key is made only when a session is to be kept.
const request = (r) =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

async function storageKey(appId, create) {
  if (typeof indexedDB === 'undefined' || !globalThis.crypto?.subtle) return undefined;
  const opening = indexedDB.open('sealbase', 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore('device-keys');
  const db = await request(opening);
  try {
    const get = () => request(db.transaction('device-keys').objectStore('device-keys').get(appId));
    let key = await get();
    if (!key && create) {
      const fresh = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
      // `add`, not `put`: if another tab made one meanwhile, theirs stays and both use it.
      await request(db.transaction('device-keys', 'readwrite').objectStore('device-keys').add(fresh, appId)).catch(() => {});
      key = await get();
    }
    if (!key) return undefined;
    const label = new TextEncoder().encode(`sealbase/v1/web-storage-key\0${appId}`);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, label));
  } finally {
    db.close();
  }
}

// A derivation at the package's cost (logN 15, r 8, p 1) takes well under a second even on slow
// phones; a worker silent for 20 s per that cost is stuck (or was killed), and the page derives
// instead. Costlier parameters a server may name get proportionally longer.
const kdfTimeout = (params) => {
  const { logN, r, p } = JSON.parse(params);
  return 20000 * Math.max(1, (2 ** logN * r * p) / (2 ** 15 * 8));
};

// `start` loads the main module; `loadLegacy` the second one (legacy password hashes), which only a
// pending account's first sign-in needs, so it is downloaded then, once; `startWorker`, where there is
// one, starts the KDF's worker and answers `{ worker, module }` (the compiled main module to run in
// it). `hooks` names further exports to offer the same way: only the test build has any.
export function createApi(start, loadLegacy, startWorker, hooks = []) {
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
        useWorker();
      })
      .catch((error) => {
        started = undefined; // a failed download can be retried by the next call
        throw error;
      });
    return started;
  };
  // scrypt in a worker on the same compiled module, so no signUp or signIn blocks the page. If the
  // worker cannot start, or fails later, the module derives on this thread instead.
  let kdfWorker;
  const useWorker = () => {
    let worker;
    const calls = new Map();
    // The worker is gone, broken or stuck: every call in flight derives on this thread, as all later
    // ones do.
    const giveUp = () => {
      if (kdfWorker === worker) {
        kdfWorker = undefined;
        wasm.setKdfRunner(undefined);
      }
      for (const call of calls.values()) {
        clearTimeout(call.timer);
        call.reject();
      }
      calls.clear();
      worker?.terminate();
    };
    try {
      const started = startWorker?.();
      if (!started) return;
      worker = started.worker;
      let next = 0;
      worker.onmessage = ({ data }) => {
        const call = calls.get(data?.id);
        if (!call) {
          // An answer to a call already given up (derived on the page meanwhile).
          data?.key?.fill?.(0);
          return;
        }
        calls.delete(data.id);
        clearTimeout(call.timer);
        if (data.key) call.resolve(data.key);
        else call.reject();
        // A trapped module answers every later call with an error too.
        if (data.broken) giveUp();
      };
      worker.onerror = giveUp;
      worker.onmessageerror = giveUp;
      worker.postMessage({ module: started.module });
      kdfWorker = worker;
      wasm.setKdfRunner(
        (password, params) =>
          new Promise((resolve, reject) => {
            next += 1;
            const id = next;
            const timer = setTimeout(giveUp, kdfTimeout(params));
            calls.set(id, { resolve, reject, timer });
            try {
              // Transferred, so the only copy left is the worker's, which wipes it.
              worker.postMessage({ id, password, params }, [password.buffer]);
            } catch {
              // Not sent (the worker is gone): this call derives on the page, and no timer is left
              // to give up a worker for it later.
              clearTimeout(timer);
              calls.delete(id);
              password.fill(0);
              reject();
            }
          }),
      );
    } catch {
      giveUp();
    }
  };
  // Hands the module the app's storage key before init (an existing one only) and before a sign-up,
  // sign-in or password reset that keeps a session (made if missing). Without IndexedDB (Node, a
  // blocked storage) no session is kept beyond the page. `appId` is the app an init accepted: an init
  // refused (another app already set, an unknown app) leaves it as it was.
  let appId;
  const provideStorageKey = async (app, create) => {
    const key = await storageKey(app, create).catch(() => undefined);
    if (key || !create) wasm.setStorageKey(app, key);
    key?.fill(0);
  };
  const prepare = async (name, params) => {
    if (name === 'init' && typeof params?.appId === 'string') {
      await provideStorageKey(params.appId, false);
    } else if (['signUp', 'signIn', 'resetPassword'].includes(name) && appId !== undefined && params?.rememberMe !== 'none') {
      await provideStorageKey(appId, true);
    }
  };
  // A fresh page's first derivation would run on the engine's baseline code, about twice as slow as
  // later ones: once init has answered, small derivations while the page is idle (each a short task)
  // get scrypt optimised before a signUp or signIn needs it.
  let warmedUp = false;
  // Once init has answered: the small derivations above, and, when nobody is signed in (a signUp or
  // signIn is likely next), one derivation at full cost in the worker, which also grows its memory to
  // the KDF's 32 MiB ahead of the real one.
  const warmUpAfterInit = (result) => {
    if (warmedUp) return;
    warmedUp = true;
    warmUp(4);
    if (!result?.user) {
      kdfWorker?.postMessage({ warmUp: true });
      // The engine compiles each wasm function at its first call. A signUp and a signIn refused by
      // the password policy (no request, no state) compile the checks a real one runs first.
      if (typeof requestIdleCallback === 'function') {
        requestIdleCallback(() => {
          for (const name of ['signUp', 'signIn']) wasm[name]({ username: 'warm-up', password: 'x', rememberMe: 'none' }).catch(() => {});
        });
      }
    }
  };
  const warmUp = (rounds) => {
    // Also with the worker (which warms up its own scrypt): the keys made around the KDF are made here.
    if (typeof requestIdleCallback !== 'function') return;
    requestIdleCallback(() => {
      wasm.warmUp();
      if (rounds > 1) warmUp(rounds - 1);
    });
  };
  // Calls start in the order they were made (an init's reservation of its appId relies on it), each
  // after its own preparation; they then run concurrently.
  let queue = Promise.resolve();
  const wrap = (name) => (params) =>
    new Promise((resolve, reject) => {
      pending.add(reject);
      const call = queue.then(ready).then(() => prepare(name, params)).then(() => ({ result: wasm[name](params) }));
      queue = call.catch(() => {});
      call
        .then(({ result }) => result)
        .then((value) => {
          if (name === 'init') {
            appId = params.appId;
            warmUpAfterInit(value);
          }
          return value;
        })
        .then(resolve, (error) => reject(asPublicError(error)))
        .finally(() => pending.delete(reject));
    });
  const signUp = wrap('signUp');
  const generateRecoveryKey = wrap('generateRecoveryKey');
  return {
    init: wrap('init'),
    // signUp({ recoveryKey: true }): the account first, then its recovery key, shown once. If the
    // key's registration fails the account stands, signed in; the rejection says to try again.
    signUp: async (params) => {
      const user = await signUp(params);
      return params?.recoveryKey === true ? { ...user, recoveryKey: await generateRecoveryKey() } : user;
    },
    signIn: wrap('signIn'),
    signOut: wrap('signOut'),
    updateUser: wrap('updateUser'),
    deleteUser: wrap('deleteUser'),
    verifyEmail: wrap('verifyEmail'),
    generateRecoveryKey,
    resetPassword: wrap('resetPassword'),
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
