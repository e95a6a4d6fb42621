// The npm package in Node (>= 20): the same flows as in the browser, with memory in place of Web Storage.
// One module instance per test file, so one app: the steps run in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import sealbase, * as named from '../../pkg/node.js';
import { startServer, importFixtures } from './support.mjs';

let server;
let app;
before(async () => {
  server = await startServer();
  app = server.createApp();
});
after(() => server.stop());

const PASSWORD = 'correct horse battery';

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

function assertError(error, name, status, message) {
  assert.ok(error instanceof Error, `${error} is an Error`);
  assert.deepEqual({ name: error.name, status: error.status, message: error.message }, { name, status, message });
}

test('the default export and the named exports are the same functions, and nothing else', () => {
  const api = [
    'init', 'signUp', 'signIn', 'signOut', 'updateUser', 'deleteUser', 'getAuthToken', 'verifyEmail',
    'generateRecoveryKey', 'resetPassword', 'encrypt', 'decrypt', 'encryptJson', 'decryptJson', 'sign', 'verify', 'sealFor', 'openSealed',
  ];
  for (const name of api) {
    assert.equal(typeof sealbase[name], 'function', name);
    assert.equal(sealbase[name], named[name], name);
  }
  assert.deepEqual(Object.keys(named).sort(), [...api, 'default'].sort(), 'no test or bench hooks among the exports');
  assert.deepEqual(Object.keys(sealbase).sort(), [...api].sort());
  // Nor anywhere in the published files: the hooks exist only in the test build.
  for (const file of ['sealbase_wasm.js', 'sealbase_wasm_bg.wasm', 'api.js', 'index.js', 'node.js', 'index.d.ts']) {
    const text = readFileSync(new URL(`../../pkg/${file}`, import.meta.url)).toString('latin1');
    for (const hook of ['__panicForTests', '__benchDeriveKey']) assert.ok(!text.includes(hook), `${hook} in pkg/${file}`);
  }
  const testBuild = readFileSync(new URL('../../target/pkg-hooks/sealbase_wasm.js', import.meta.url), 'utf8');
  assert.ok(testBuild.includes('__panicForTests') && testBuild.includes('__benchDeriveKey'), 'the test build has the hooks');
});

test('calls before init fail with AppIdNotSet', async () => {
  assertError(await rejection(sealbase.signUp({ username: 'a', password: PASSWORD })), 'AppIdNotSet', 400, 'App ID not set yet. Make sure to configure app ID.');
  // updateUser checks its parameters first, as userbase-js does.
  assertError(await rejection(sealbase.updateUser({ username: 5 })), 'UsernameMustBeString', 400, 'Username must be a string.');
  assertError(await rejection(sealbase.updateUser({ email: null })), 'AppIdNotSet', 400, 'App ID not set yet. Make sure to configure app ID.');
});

test('init validates its parameters, then resolves {} for a new app', async () => {
  assertError(await rejection(sealbase.init()), 'ParamsMustBeObject', 400, 'Parameters passed to function must be placed inside an object.');
  assertError(await rejection(sealbase.init({})), 'AppIdMissing', 400, 'Application ID missing.');
  assertError(await rejection(sealbase.init({ appId: 5 })), 'AppIdMustBeString', 400, 'Application ID must be a string.');
  assertError(await rejection(sealbase.init({ appId: '' })), 'AppIdCannotBeBlank', 400, 'Application ID cannot be blank.');
  assertError(
    await rejection(sealbase.init({ appId: app.appId, endpoint: server.url, updateUserHandler: 'nope' })),
    'UpdateUserHandlerMustBeFunction', 400, 'Update user handler must be a function.',
  );
  // The endpoint is parsed by the platform's URL in wasm32: only http(s) URLs, nothing stored on refusal.
  for (const endpoint of ['ftp://localhost/', 'not a url', 'data:text/plain,x']) {
    assertError(
      await rejection(sealbase.init({ appId: app.appId, endpoint })),
      'EndpointNotValid', 400, 'Endpoint not valid. Must be an http or https URL.',
    );
  }
  // An app the server does not know leaves nothing set, even when two inits for it run together: init
  // can be retried with another appId.
  const unknown = await Promise.allSettled([1, 2].map(() => sealbase.init({ appId: 'no-such-app', endpoint: server.url })));
  for (const outcome of unknown) {
    assertError(outcome.reason, 'AppIdNotValid', 401, 'App ID not valid.');
  }
  // Two inits started together: the second, for another appId, is refused although the first has not
  // finished (without the reservation it would ask the server about 'another-app' instead).
  const [first, second] = await Promise.allSettled([
    sealbase.init({ appId: app.appId, endpoint: server.url }),
    sealbase.init({ appId: 'another-app', endpoint: server.url }),
  ]);
  assert.deepEqual(first, { status: 'fulfilled', value: {} });
  assertError(second.reason, 'AppIdAlreadySet', 409, 'Application ID already set.');
  assert.equal(second.reason.appId, app.appId, 'the appId already set, as userbase-js gives it');
  assert.deepEqual(await sealbase.init({ appId: app.appId, endpoint: server.url }), {}, 'idempotent');
  const again = await rejection(sealbase.init({ appId: 'another-app', endpoint: server.url }));
  assertError(again, 'AppIdAlreadySet', 409, 'Application ID already set.');
  assert.equal(again.appId, app.appId);
});

const updates = [];
test('signUp resolves the user with exactly the userbase-js keys', async () => {
  await sealbase.init({ appId: app.appId, endpoint: server.url, updateUserHandler: (update) => updates.push(update) });
  const user = await sealbase.signUp({ username: 'Ada', password: PASSWORD, email: 'Ada@Example.com', profile: { plan: 'pro' }, rememberMe: 'local' });
  assert.deepEqual(Object.keys(user).sort(), ['authToken', 'creationDate', 'email', 'paymentsMode', 'profile', 'userId', 'username']);
  assert.equal(user.username, 'ada');
  assert.equal(user.email, 'ada@example.com');
  assert.deepEqual(user.profile, { plan: 'pro' });
  assert.equal(user.paymentsMode, 'disabled');
  assert.match(user.creationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(user.authToken.split('.').length, 3);
  assertError(await rejection(sealbase.signUp({ username: 'bob', password: PASSWORD })), 'UserAlreadySignedIn', 400, 'Already signed in.');
  assert.deepEqual(Object.keys(await sealbase.init({ appId: app.appId, endpoint: server.url })), ['user'], 'init while signed in gives the user');
});

test('getAuthToken returns a token valid for the next five minutes', async () => {
  const token = await sealbase.getAuthToken();
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
  assert.equal(claims.aud, app.appId);
  assert.ok(claims.exp - Date.now() / 1000 >= 300);
});

test('updateUser changes the user and calls the update handler', async () => {
  assertError(await rejection(sealbase.updateUser({})), 'ParamsMissing', 400, 'Parameters expected are missing.');
  assertError(await rejection(sealbase.updateUser({ newPassword: 'a new password' })), 'CurrentPasswordMissing', 400, 'Current password missing.');
  assertError(await rejection(sealbase.updateUser({ currentPassword: 5, newPassword: 'a new password' })), 'PasswordMustBeString', 400, 'Password must be a string.');
  assertError(await rejection(sealbase.updateUser({ profile: 'x', email: 5 })), 'EmailNotValid', 400, 'Email not valid.');
  assertError(
    await rejection(sealbase.updateUser({ currentPassword: 'wrong password', newPassword: 'a new password' })),
    'CurrentPasswordIncorrect', 401, 'Current password is incorrect.',
  );
  assert.equal(await sealbase.updateUser({ email: null, profile: { plan: 'team' } }), undefined);
  assert.equal(updates.length, 1);
  assert.equal(updates[0].user.email, undefined);
  assert.equal(updates[0].user.passwordChanged, undefined, 'no password change, no flag');
  assert.deepEqual(updates[0].user.profile, { plan: 'team' });
  // userbase-js's floor of 6 characters for a password given to prove the user: refused before any request.
  assertError(
    await rejection(sealbase.updateUser({ currentPassword: 'five5', newPassword: 'a new password' })),
    'PasswordTooShort', 400, 'Password too short. Must be a minimum of 6 characters.',
  );
  await sealbase.updateUser({ currentPassword: PASSWORD, newPassword: 'a new password' });
  assert.equal(updates.length, 2);
  assert.equal(updates[1].user.passwordChanged, true, 'as userbase-js 2.x tells the handler');
});

test('signOut, then init reports the last used username; signIn brings the user back', async () => {
  assert.equal(await sealbase.signOut(), undefined);
  assertError(await rejection(sealbase.signOut()), 'UserNotSignedIn', 400, 'Not signed in.');
  assert.deepEqual(await sealbase.init({ appId: app.appId, endpoint: server.url }), { lastUsedUsername: 'ada' });
  assertError(await rejection(sealbase.signIn({ username: 'ada', password: PASSWORD })), 'UsernameOrPasswordMismatch', 401, 'Username or password mismatch.');
  const short = await rejection(sealbase.signIn({ username: 'ada', password: 'five5' }));
  assertError(short, 'PasswordTooShort', 400, 'Password too short. Must be a minimum of 6 characters.');
  assert.equal(short.minLen, 6);
  const user = await sealbase.signIn({ username: 'ada', password: 'a new password', rememberMe: 'session' });
  assert.equal(user.username, 'ada');
});

test('deleteUser signs out and frees the username', async () => {
  assert.equal(await sealbase.deleteUser(), undefined);
  assert.deepEqual(await sealbase.init({ appId: app.appId, endpoint: server.url }), {});
  assertError(await rejection(sealbase.deleteUser()), 'UserNotSignedIn', 400, 'Not signed in.');
  const again = await sealbase.signUp({ username: 'ada', password: PASSWORD, rememberMe: 'none' });
  assert.equal(again.username, 'ada');
  await sealbase.signOut();
});

const RECOVERY_KEY_FORM = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/;

test('a recovery key made at signUp resets a forgotten password and the data stays readable', async () => {
  const made = await sealbase.signUp({ username: 'grace', password: PASSWORD, rememberMe: 'none', recoveryKey: true });
  assert.match(made.recoveryKey, RECOVERY_KEY_FORM, 'shown once, in groups of 4');
  assert.equal(made.username, 'grace');
  const note = await sealbase.encryptJson({ context: 'notes', value: { text: 'kept' } });
  await sealbase.signOut();
  // Typed loosely, lower-case with spaces: the same key.
  const typed = made.recoveryKey.toLowerCase().replaceAll('-', ' ');
  const user = await sealbase.resetPassword({ username: 'grace', recoveryKey: typed, newPassword: 'the new password', rememberMe: 'none' });
  assert.equal(user.username, 'grace');
  assert.deepEqual(await sealbase.decryptJson({ context: 'notes', envelope: note }), { text: 'kept' }, 'the same seed');
  // A new key replaces the first, which stops working; the new password signs in.
  const replacement = await sealbase.generateRecoveryKey();
  assert.match(replacement, RECOVERY_KEY_FORM);
  assert.notEqual(replacement, made.recoveryKey);
  await sealbase.signOut();
  assertError(
    await rejection(sealbase.resetPassword({ username: 'grace', recoveryKey: made.recoveryKey, newPassword: 'another password' })),
    'RecoveryKeyIncorrect', 401, 'Recovery key incorrect.',
  );
  // A typo is caught by the checksum, before any request.
  const typo = (replacement[0] === 'A' ? 'B' : 'A') + replacement.slice(1);
  assertError(
    await rejection(sealbase.resetPassword({ username: 'grace', recoveryKey: typo, newPassword: 'another password' })),
    'RecoveryKeyNotValid', 400, 'Recovery key not valid. Type it as shown: 8 groups of 4 letters and digits.',
  );
  assertError(
    await rejection(sealbase.resetPassword({ username: 'grace', recoveryKey: 42, newPassword: 'another password' })),
    'RecoveryKeyNotValid', 400, 'Recovery key not valid. Type it as shown: 8 groups of 4 letters and digits.',
  );
  assertError(await rejection(sealbase.generateRecoveryKey()), 'UserNotSignedIn', 400, 'Not signed in.');
  await sealbase.signIn({ username: 'grace', password: 'the new password', rememberMe: 'none' });
  assertError(
    await rejection(sealbase.resetPassword({ username: 'grace', recoveryKey: replacement, newPassword: 'another password' })),
    'UserAlreadySignedIn', 400, 'Already signed in.',
  );
  await sealbase.deleteUser();
});

test('usernames follow the published profile vectors: stored form, or the error before any request', async () => {
  const { vectors } = JSON.parse(readFileSync(new URL('../vectors/usernames.json', import.meta.url), 'utf8'));
  for (const vector of vectors) {
    const signingUp = sealbase.signUp({ username: vector.input, password: PASSWORD, rememberMe: 'none' });
    if (vector.error) {
      const error = await rejection(signingUp);
      assert.equal(error.name, vector.error, vector.description);
      assert.equal(error.status, 400, vector.description);
    } else {
      assert.equal((await signingUp).username, vector.stored, vector.description);
      await sealbase.signOut();
    }
  }
});

test('a panic inside the module rejects the pending call instead of leaving it pending', () => {
  // In a child process: after a panic the module traps, which Node reports as an uncaught RuntimeError
  // (fatal unless the app handles it, like any uncaught exception). The child observes that and
  // reports how the pending Promise settled.
  const script = `
    process.on('uncaughtException', (error) => console.log(JSON.stringify({ trap: String(error) })));
    // The API built as pkg/node.js builds it, over the test build (target/pkg-hooks): only that one
    // has the panic hook.
    const { readFile } = await import('node:fs/promises');
    const { default: startWasm } = await import(${JSON.stringify(new URL('../../target/pkg-hooks/sealbase_wasm.js', import.meta.url).href)});
    const { createApi } = await import(${JSON.stringify(new URL('../../target/pkg-hooks/api.js', import.meta.url).href)});
    const sealbase = createApi(async () =>
      startWasm({ module_or_path: await readFile(${JSON.stringify(new URL('../../target/pkg-hooks/sealbase_wasm_bg.wasm', import.meta.url).pathname)}) }),
      () => Promise.reject(new Error('no legacy module here')),
      undefined,
      ['__panicForTests'],
    );
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ pending: true }), 5000));
    const outcome = await Promise.race([
      sealbase.__panicForTests().then(() => ({ resolved: true }), (e) => ({ name: e.name, status: e.status, isError: e instanceof Error })),
      timeout,
    ]);
    console.log(JSON.stringify(outcome));
    process.exit(0);
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines, [{ trap: 'RuntimeError: unreachable' }, { name: 'ServiceUnavailable', status: 503, isError: true }]);
});

test("users the app's backend created or imported sign in, the first time with their legacy hash", async () => {
  const secret = server.createAppSecret(app.appId);
  const created = await server.backend('/api/v1/server/createUser', {
    appId: app.appId, appSecret: secret, email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', password: PASSWORD,
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const users = [{ username: 'grace@example.com', password: PASSWORD, seen: true }];
  for (const [index, fixture] of importFixtures().entries()) {
    const username = `node-imported${index}`;
    const imported = await server.backend(`/v1/admin/apps/${app.appId}/users`, { username, ...fixture.body }, secret);
    assert.equal(imported.status, 201, `${fixture.description}: ${JSON.stringify(imported.body)}`);
    users.push({ username, password: fixture.password, seen: false });
  }
  for (const { username, password, seen } of users) {
    const first = await sealbase.signIn({ username, password });
    assert.equal(first.username, username);
    assert.equal(first.passwordSeenByServer ?? false, seen, username);
    await sealbase.signOut();
    assertError(await rejection(sealbase.signIn({ username, password: `${password}!` })), 'UsernameOrPasswordMismatch', 401, 'Username or password mismatch.');
    const again = await sealbase.signIn({ username, password });
    assert.equal(again.userId, first.userId);
    await sealbase.signOut();
  }
});
