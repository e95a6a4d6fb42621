// The npm package in headless Chromium, against a real sealbase-server on loopback: every function's
// success, every error of the reference page reachable from a browser, and what each rememberMe mode
// leaves in Web Storage across reloads and browser restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startStaticServer, launchBrowser, importFixtures, verificationMails } from './support.mjs';

const PASSWORD = 'correct horse battery';
let server;
let site;
let browser;

before(async () => {
  server = await startServer();
  site = await startStaticServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser.context.close();
  site.stop();
  server.stop();
});

async function openPage(context = browser.context) {
  const page = await context.newPage();
  await page.goto(`${site.url}/`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

const call = (page, name, ...args) => page.evaluate(([name, args]) => window.call(name, ...args), [name, args]);
const storage = (page, appId) => page.evaluate((appId) => window.storage(appId), appId);

async function initPage(page, app, extra = {}) {
  return call(page, 'init', { appId: app.appId, endpoint: server.url, ...extra });
}

function expectError(outcome, name, status, message, extras = {}) {
  assert.ok(outcome.error, `expected ${name}, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.isError, true, 'an Error instance');
  assert.deepEqual({ name: outcome.error.name, status: outcome.error.status, message: outcome.error.message }, { name, status, message });
  for (const [key, value] of Object.entries(extras)) assert.deepEqual(outcome.error[key], value, key);
}

test('signUp with each rememberMe mode stores the session in exactly one place', async () => {
  for (const [mode, expected] of [['session', { local: false, session: true }], ['local', { local: true, session: false }], ['none', { local: false, session: false }]]) {
    const app = server.createApp();
    const page = await openPage();
    assert.deepEqual(await initPage(page, app), { ok: {} });
    const outcome = await call(page, 'signUp', { username: `user-${mode}`, password: PASSWORD, rememberMe: mode });
    assert.deepEqual(Object.keys(outcome.ok).sort(), ['authToken', 'creationDate', 'paymentsMode', 'userId', 'username'], mode);
    const stored = await storage(page, app.appId);
    assert.deepEqual({ local: stored.local !== null, session: stored.session !== null }, expected, mode);
    const held = JSON.parse(stored.local ?? stored.session ?? 'null');
    if (held) {
      assert.equal(held.lastUsedUsername, `user-${mode}`);
      assert.equal(typeof held.sealedSession, 'string', 'the session (with the seed) is kept sealed');
      assert.equal(held.session, undefined, 'nothing of the session in plaintext');
    }

    // A reload resumes 'session' and 'local', not 'none'.
    await page.reload();
    await page.waitForFunction(() => window.ready === true);
    const resumed = await initPage(page, app);
    if (mode === 'none') assert.deepEqual(resumed, { ok: {} });
    else assert.equal(resumed.ok.user.userId, outcome.ok.userId, mode);
    await page.close();
  }
});

test('an init refused for another app leaves the sessions of the accepted one kept and sealed', async () => {
  const [app, other] = [server.createApp(), server.createApp()];
  const page = await openPage();
  assert.deepEqual(await initPage(page, app), { ok: {} });
  expectError(await initPage(page, other), 'AppIdAlreadySet', 409, 'Application ID already set.', { appId: app.appId });
  assert.ok((await call(page, 'signUp', { username: 'ada', password: PASSWORD, rememberMe: 'local' })).ok);
  const held = JSON.parse((await storage(page, app.appId)).local);
  assert.equal(typeof held.sealedSession, 'string', "sealed under the accepted app's key, so kept");
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  assert.equal((await initPage(page, app)).ok.user.username, 'ada');
  await page.close();
});

test('sign-up and sign-in are CORS simple requests (text/plain, no preflight); requests with a session carry JSON', async () => {
  const app = server.createApp();
  const page = await openPage();
  const sent = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/v1/')) sent.push(`${request.method()} ${path.replace(app.appId, '{app}')} ${request.headers()['content-type'] ?? '-'}`);
  });
  await initPage(page, app);
  assert.ok((await call(page, 'signUp', { username: 'ada', password: PASSWORD, rememberMe: 'none' })).ok);
  await call(page, 'signOut');
  assert.ok((await call(page, 'signIn', { username: 'ada', password: PASSWORD, rememberMe: 'none' })).ok);
  const text = 'text/plain;charset=UTF-8';
  for (const route of ['/users', '/pre-login', '/sign-in']) {
    assert.ok(sent.includes(`POST /v1/apps/{app}${route} ${text}`), `${route}: ${sent.join(', ')}`);
    assert.ok(!sent.some((line) => line.startsWith(`OPTIONS /v1/apps/{app}${route}`)), `${route} preflighted: ${sent.join(', ')}`);
  }
  assert.equal((await call(page, 'updateUser', { email: 'ada@example.com' })).ok, null);
  assert.ok(sent.includes('PATCH /v1/apps/{app}/user application/json'), sent.join(', '));
  await page.close();
});

test('a browser restart with the same profile resumes local sessions only', async () => {
  const first = await launchBrowser();
  const localApp = server.createApp();
  const sessionApp = server.createApp();
  for (const [app, mode] of [[localApp, 'local'], [sessionApp, 'session']]) {
    const page = await openPage(first.context);
    await initPage(page, app);
    assert.ok((await call(page, 'signUp', { username: 'ada', password: PASSWORD, rememberMe: mode })).ok);
    await page.close();
  }
  await first.context.close();

  const restarted = await launchBrowser(first.profile);
  try {
    const page = await openPage(restarted.context);
    const local = await initPage(page, localApp);
    assert.equal(local.ok.user.username, 'ada');
    const reopened = await openPage(restarted.context);
    assert.deepEqual(await initPage(reopened, sessionApp), { ok: {} }, 'sessionStorage did not survive the restart');
  } finally {
    await restarted.context.close();
  }
});

test('signOut leaves only the last used username; deleteUser leaves nothing', async () => {
  const app = server.createApp();
  const page = await openPage();
  await initPage(page, app);
  await call(page, 'signUp', { username: 'Ada', password: PASSWORD, rememberMe: 'local' });
  assert.deepEqual(await call(page, 'signOut'), { ok: null });
  assert.deepEqual(JSON.parse((await storage(page, app.appId)).local), { lastUsedUsername: 'ada' });
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  assert.deepEqual(await initPage(page, app), { ok: { lastUsedUsername: 'ada' } });

  const user = await call(page, 'signIn', { username: 'ada', password: PASSWORD, rememberMe: 'local' });
  assert.equal(user.ok.username, 'ada');
  assert.equal(typeof (await call(page, 'getAuthToken')).ok, 'string');
  assert.deepEqual(await call(page, 'deleteUser'), { ok: null });
  assert.deepEqual(await storage(page, app.appId), { local: null, session: null });
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  assert.deepEqual(await initPage(page, app), { ok: {} });
  assert.ok((await call(page, 'signUp', { username: 'ada', password: PASSWORD })).ok, 'the username is free again');
  await page.close();
});

test('updateUser resolves undefined and calls updateUserHandler with { user }', async () => {
  const app = server.createApp();
  const page = await openPage();
  await page.evaluate(() => { window.updates = []; });
  const init = await page.evaluate(([appId, endpoint]) =>
    window.sealbase.init({ appId, endpoint, updateUserHandler: (update) => window.updates.push(update) }), [app.appId, server.url]);
  assert.deepEqual(init, {});
  await call(page, 'signUp', { username: 'ada', password: PASSWORD, email: 'ada@example.com', profile: { a: 'b' } });
  assert.deepEqual(await call(page, 'updateUser', { username: 'Lovelace', email: null, profile: null }), { ok: null });
  const updates = await page.evaluate(() => window.updates);
  assert.equal(updates.length, 1);
  assert.deepEqual(Object.keys(updates[0]), ['user']);
  assert.equal(updates[0].user.username, 'lovelace');
  assert.equal('email' in updates[0].user, false);
  assert.equal('profile' in updates[0].user, false);
  assert.deepEqual(await call(page, 'updateUser', { currentPassword: PASSWORD, newPassword: 'a brand new password' }), { ok: null });
  await call(page, 'signOut');
  assert.equal((await call(page, 'signIn', { username: 'lovelace', password: 'a brand new password' })).ok.username, 'lovelace');
  await page.close();
});

test('every reachable error has its name, message, status and extras', async () => {
  const app = server.createApp(['--password-min-length', '10']);
  const quotaApp = server.createApp(['--user-quota', '0']);
  const foreignApp = server.createApp(['--allowed-origin', 'https://elsewhere.example']);
  const page = await openPage();

  expectError(await call(page, 'signUp', { username: 'a', password: PASSWORD }), 'AppIdNotSet', 400, 'App ID not set yet. Make sure to configure app ID.');
  expectError(await call(page, 'init'), 'ParamsMustBeObject', 400, 'Parameters passed to function must be placed inside an object.');
  expectError(await call(page, 'init', {}), 'AppIdMissing', 400, 'Application ID missing.');
  expectError(await call(page, 'init', { appId: 1 }), 'AppIdMustBeString', 400, 'Application ID must be a string.');
  expectError(await call(page, 'init', { appId: '' }), 'AppIdCannotBeBlank', 400, 'Application ID cannot be blank.');
  expectError(await call(page, 'init', { appId: app.appId, endpoint: server.url, updateUserHandler: 1 }), 'UpdateUserHandlerMustBeFunction', 400, 'Update user handler must be a function.');

  const unknown = await openPage();
  expectError(await call(unknown, 'init', { appId: '00000000-0000-4000-8000-000000000000', endpoint: server.url }), 'AppIdNotValid', 401, 'App ID not valid.');
  assert.deepEqual(await initPage(unknown, app), { ok: {} }, 'a failed init can be retried with the right app');
  const foreign = await openPage();
  expectError(
    await call(foreign, 'init', { appId: foreignApp.appId, endpoint: server.url }),
    'DomainNotWhitelisted', 401, `Domain not whitelisted. Whitelist the domain '${site.url}' in your admin panel.`,
  );
  const unreachable = await openPage();
  expectError(await call(unreachable, 'init', { appId: app.appId, endpoint: 'http://127.0.0.1:9' }), 'ServiceUnavailable', 503, 'Service unavailable.');
  const quota = await openPage();
  await call(quota, 'init', { appId: quotaApp.appId, endpoint: server.url });
  expectError(await call(quota, 'signUp', { username: 'a', password: PASSWORD }), 'TrialExceededLimit', 402, 'Trial exceeded limit of users.');

  assert.deepEqual(await initPage(page, app), { ok: {} });
  expectError(await initPage(page, { appId: quotaApp.appId }), 'AppIdAlreadySet', 409, 'Application ID already set.', { appId: app.appId });
  for (const bad of [undefined, false, 'x', [], null]) {
    expectError(await call(page, 'signUp', bad), 'ParamsMustBeObject', 400, 'Parameters passed to function must be placed inside an object.');
  }
  const signUp = (params) => call(page, 'signUp', { username: 'ada', password: PASSWORD, ...params });
  const cases = [
    [{ username: undefined }, 'UsernameMissing', 400, 'Username missing.'],
    [{ username: 5 }, 'UsernameMustBeString', 400, 'Username must be a string.'],
    [{ username: '' }, 'UsernameCannotBeBlank', 400, 'Username cannot be blank.'],
    [{ username: 'a'.repeat(101) }, 'UsernameTooLong', 400, 'Username too long. Must be a max of 100 characters.', { maxLen: 100 }],
    [{ password: undefined }, 'PasswordMissing', 400, 'Password missing.'],
    [{ password: 5 }, 'PasswordMustBeString', 400, 'Password must be a string.'],
    [{ password: '' }, 'PasswordCannotBeBlank', 400, 'Password cannot be blank.'],
    [{ password: 'short' }, 'PasswordTooShort', 400, 'Password too short. Must be a minimum of 10 characters.', { minLen: 10 }],
    [{ password: 'p'.repeat(1001) }, 'PasswordTooLong', 400, 'Password too long. Must be a max of 1000 characters.', { maxLen: 1000 }],
    [{ rememberMe: 'forever' }, 'RememberMeValueNotValid', 400, 'Remember me value must be one of ["local","session","none"].'],
    [{ sessionLength: '24' }, 'SessionLengthMustBeNumber', 400, 'Session length must be a number.'],
    [{ sessionLength: Number.NaN }, 'SessionLengthMustBeNumber', 400, 'Session length must be a number.'],
    [{ sessionLength: 0.05 }, 'SessionLengthTooShort', 400, 'Session length cannot be shorter than 5 minutes.'],
    [{ sessionLength: 9000 }, 'SessionLengthTooLong', 400, 'Session length cannot be longer than 1 year.'],
    [{ profile: 'x' }, 'ProfileMustBeObject', 400, 'Profile must be a flat JSON object.'],
    [{ profile: {} }, 'ProfileCannotBeEmpty', 400, 'Profile cannot be empty.'],
    [{ profile: Object.fromEntries([...Array(101).keys()].map((i) => [`k${i}`, 'v'])) }, 'ProfileHasTooManyKeys', 400, 'Profile has too many keys. Must have a max of 100 keys.', { maxKeys: 100 }],
    [{ profile: { ['k'.repeat(21)]: 'v' } }, 'ProfileKeyTooLong', 400, 'Profile key too long. Must be a max of 20 characters.', { key: 'k'.repeat(21), maxLen: 20 }],
    [{ profile: { age: 3 } }, 'ProfileValueMustBeString', 400, 'Profile value must be a string.', { key: 'age', value: 3 }],
    [{ profile: { a: '' } }, 'ProfileValueCannotBeBlank', 400, 'Profile value cannot be blank.', { key: 'a' }],
    [{ profile: { a: 'v'.repeat(1001) } }, 'ProfileValueTooLong', 400, 'Profile value too long. Must be a max of 1000 characters.', { key: 'a', value: 'v'.repeat(1001), maxLen: 1000 }],
    [{ email: 'nope' }, 'EmailNotValid', 400, 'Email not valid.'],
  ];
  for (const [params, name, status, message, extras] of cases) {
    expectError(await signUp(params), name, status, message, extras);
  }
  assert.deepEqual(await storage(page, app.appId), { local: null, session: null }, 'failed calls store nothing');

  expectError(await call(page, 'signOut'), 'UserNotSignedIn', 400, 'Not signed in.');
  expectError(await call(page, 'updateUser', { email: null }), 'UserNotSignedIn', 400, 'Not signed in.');
  expectError(await call(page, 'deleteUser'), 'UserNotSignedIn', 400, 'Not signed in.');
  expectError(await call(page, 'getAuthToken'), 'UserNotSignedIn', 400, 'Not signed in.');
  expectError(await call(page, 'signIn', { username: 'nobody', password: PASSWORD }), 'UsernameOrPasswordMismatch', 401, 'Username or password mismatch.');

  assert.ok((await signUp({})).ok);
  expectError(await signUp({}), 'UserAlreadySignedIn', 400, 'Already signed in.', { username: 'ada' });
  expectError(await call(page, 'signIn', { username: 'ada', password: PASSWORD }), 'UserAlreadySignedIn', 400, 'Already signed in.');
  expectError(await call(page, 'updateUser', {}), 'ParamsMissing', 400, 'Parameters expected are missing.');
  expectError(await call(page, 'updateUser', false), 'ParamsMustBeObject', 400, 'Parameters passed to function must be placed inside an object.');
  expectError(await call(page, 'updateUser', { newPassword: 'another password' }), 'CurrentPasswordMissing', 400, 'Current password missing.');
  expectError(
    await call(page, 'updateUser', { currentPassword: 'not the password', newPassword: 'another password' }),
    'CurrentPasswordIncorrect', 401, 'Current password is incorrect.',
  );
  await call(page, 'signOut');

  const other = await openPage();
  await initPage(other, app);
  assert.ok((await call(other, 'signUp', { username: 'bob', password: PASSWORD, rememberMe: 'none' })).ok);
  await call(other, 'signOut');
  expectError(await call(other, 'signUp', { username: 'BOB', password: PASSWORD }), 'UsernameAlreadyExists', 409, 'Username already exists.');
  for (let attempt = 0; attempt < 5; attempt += 1) {
    expectError(await call(other, 'signIn', { username: 'bob', password: 'wrong password' }), 'UsernameOrPasswordMismatch', 401, 'Username or password mismatch.');
  }
  const limited = await call(other, 'signIn', { username: 'bob', password: PASSWORD });
  expectError(limited, 'PasswordAttemptLimitExceeded', 401, `Password attempt limit exceeded. Must wait ${limited.error?.delay} seconds to attempt to use password again.`);
  assert.equal(limited.error.delay, 1);
});

test('the app password policy is enforced in the browser before any hashing or request', async () => {
  const app = server.createApp(['--password-complexity', '3']);
  const page = await openPage();
  await initPage(page, app);
  const weak = 'Password too weak. Must follow 3 of the 5 password practices (at least 8 characters, an upper-case letter, a lower-case letter, a number, one of !@#$%^&*); it follows 2.';
  expectError(await call(page, 'signUp', { username: 'ada', password: PASSWORD }), 'PasswordTooWeak', 400, weak, { required: 3, met: 2 });
  assert.deepEqual(await storage(page, app.appId), { local: null, session: null });
  assert.ok((await call(page, 'signUp', { username: 'ada', password: 'Correct horse battery' })).ok, 'three practices');
  expectError(
    await call(page, 'updateUser', { currentPassword: 'Correct horse battery', newPassword: PASSWORD }),
    'PasswordTooWeak', 400, weak, { required: 3, met: 2 },
  );
  await page.close();
});

test("a user the app's backend created signs in: keys made in the browser, the legacy module fetched once", async () => {
  const app = server.createApp();
  const secret = server.createAppSecret(app.appId);
  const created = await server.backend('/api/v1/server/createUser', {
    appId: app.appId, appSecret: secret, email: 'Ada@Example.com', firstName: 'Ada', lastName: 'Lovelace', password: PASSWORD,
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));

  const page = await openPage();
  const legacyRequests = [];
  page.on('request', (request) => {
    if (request.url().includes('sealbase_legacy')) legacyRequests.push(new URL(request.url()).pathname);
  });
  await initPage(page, app);
  assert.ok((await call(page, 'signUp', { username: 'someone', password: PASSWORD, rememberMe: 'none' })).ok);
  await call(page, 'signOut');
  assert.deepEqual(legacyRequests, [], 'an ordinary sign-up does not download the legacy module');

  const first = await call(page, 'signIn', { username: 'ada@example.com', password: PASSWORD, rememberMe: 'local' });
  assert.equal(first.ok.userId, created.body.user.id);
  assert.equal(first.ok.passwordSeenByServer, true);
  assert.deepEqual(legacyRequests.sort(), ['/pkg/sealbase_legacy.js', '/pkg/sealbase_legacy_bg.wasm']);
  // The seed is nowhere readable: an envelope only that seed opens stands for it.
  const sealedBySeed = (await call(page, 'encryptJson', { context: 'seed', value: 'same seed' })).ok;
  assert.equal(typeof sealedBySeed, 'string');
  await call(page, 'signOut');

  // An ordinary account from now on: the same seed, and no legacy hash on a fresh page.
  const fresh = await openPage();
  fresh.on('request', (request) => assert.ok(!request.url().includes('sealbase_legacy'), request.url()));
  await initPage(fresh, app);
  expectError(await call(fresh, 'signIn', { username: 'ada@example.com', password: `${PASSWORD}!` }), 'UsernameOrPasswordMismatch', 401, 'Username or password mismatch.');
  const again = await call(fresh, 'signIn', { username: 'ada@example.com', password: PASSWORD, rememberMe: 'local' });
  assert.equal(again.ok.userId, created.body.user.id);
  assert.equal((await call(fresh, 'decryptJson', { context: 'seed', envelope: sealedBySeed })).ok, 'same seed');
  await page.close();
  await fresh.close();
});

test('users imported with bcrypt, argon2 and pbkdf2 hashes sign in to the same seed twice', async () => {
  const app = server.createApp();
  const secret = server.createAppSecret(app.appId);
  for (const [index, fixture] of importFixtures().entries()) {
    const username = `imported${index}`;
    const imported = await server.backend(`/v1/admin/apps/${app.appId}/users`, { username, ...fixture.body }, secret);
    assert.equal(imported.status, 201, `${fixture.description}: ${JSON.stringify(imported.body)}`);
    // The seed is nowhere readable: an envelope made at the first sign-in opens at the second only
    // with the same seed.
    let sealedBySeed;
    for (let time = 0; time < 2; time += 1) {
      const page = await openPage();
      await initPage(page, app);
      const user = await call(page, 'signIn', { username, password: fixture.password, rememberMe: 'local' });
      assert.equal(user.ok?.username, username, `${fixture.description}: ${JSON.stringify(user)}`);
      if (time === 0) {
        sealedBySeed = (await call(page, 'encryptJson', { context: 'seed', value: 'same seed' })).ok;
      } else {
        const opened = await call(page, 'decryptJson', { context: 'seed', envelope: sealedBySeed });
        assert.equal(opened.ok, 'same seed', fixture.description);
      }
      await call(page, 'signOut');
      await page.close();
    }
  }
});

test('a user the app blocks is refused with UserBlocked on resume and sign-in, and signs in to the same seed once unblocked', async () => {
  const app = server.createApp();
  const secret = server.createAppSecret(app.appId);
  const setBlocked = (userId, blocked) => server.backend(`/v1/admin/apps/${app.appId}/users/${userId}`, { blocked }, secret, 'PATCH');
  const page = await openPage();
  await initPage(page, app);
  const user = (await call(page, 'signUp', { username: 'blocked', password: PASSWORD, rememberMe: 'local' })).ok;
  const sealedBySeed = (await call(page, 'encryptJson', { context: 'seed', value: 'same seed' })).ok;
  const blocked = await setBlocked(user.userId, true);
  assert.deepEqual([blocked.status, blocked.body.blocked], [200, true], JSON.stringify(blocked.body));

  // A fresh page resumes the stored session: refused, and the dead session is dropped.
  await page.reload();
  await page.waitForFunction(() => window.ready === true);
  expectError(await initPage(page, app), 'UserBlocked', 403, 'User is blocked.');
  assert.deepEqual(JSON.parse((await storage(page, app.appId)).local), { lastUsedUsername: 'blocked' });
  const again = await openPage();
  assert.deepEqual(await initPage(again, app), { ok: { lastUsedUsername: 'blocked' } });
  expectError(await call(again, 'signIn', { username: 'blocked', password: PASSWORD }), 'UserBlocked', 403, 'User is blocked.');

  assert.equal((await setBlocked(user.userId, false)).status, 200);
  const back = await call(again, 'signIn', { username: 'blocked', password: PASSWORD, rememberMe: 'local' });
  assert.equal(back.ok?.userId, user.userId, JSON.stringify(back));
  assert.equal((await call(again, 'decryptJson', { context: 'seed', envelope: sealedBySeed })).ok, 'same seed', 'the same seed');
  await page.close();
  await again.close();
});

test('profile claims and metadata round-trip through signUp, updateUser and signIn; bad ones are refused by name', async () => {
  const app = server.createApp();
  const page = await openPage();
  await page.evaluate(() => { window.updates = []; });
  await page.evaluate(([appId, endpoint]) =>
    window.sealbase.init({ appId, endpoint, updateUserHandler: (update) => window.updates.push(update) }), [app.appId, server.url]);
  const claims = { name: 'Ada Lovelace', given_name: 'Ada', locale: 'en-GB', addresses: [{ city: 'London', is_primary: true }] };
  expectError(
    await call(page, 'signUp', { username: 'claims', password: PASSWORD, claims: { ...claims, zoneinfo: 'Mars/Olympus' } }),
    'ClaimsNotValid', 400, "Claims not valid: 'zoneinfo' must be a time zone of the IANA database such as Europe/Paris.",
    { key: 'zoneinfo', reason: 'must be a time zone of the IANA database such as Europe/Paris' },
  );
  expectError(
    await call(page, 'signUp', { username: 'claims', password: PASSWORD, metadata: { nested: { no: 1 } } }),
    'MetadataNotValid', 400, "Metadata not valid: 'nested' must be a string, number, boolean or null.",
  );
  const user = (await call(page, 'signUp', { username: 'claims', password: PASSWORD, claims, metadata: { plan: 'pro', seats: 3 } })).ok;
  assert.deepEqual([user.claims, user.metadata], [claims, { plan: 'pro', seats: 3 }]);

  assert.deepEqual(await call(page, 'updateUser', { claims: { nickname: 'ada' }, metadata: null }), { ok: null });
  const updated = await page.evaluate(() => window.updates.at(-1).user);
  assert.deepEqual([updated.claims, updated.metadata], [{ nickname: 'ada' }, undefined]);
  expectError(await call(page, 'updateUser', { claims: { picture: 'javascript:alert(1)' } }), 'ClaimsNotValid', 400,
    "Claims not valid: 'picture' must be an absolute http or https URL.");
  await call(page, 'signOut');
  const again = (await call(page, 'signIn', { username: 'claims', password: PASSWORD })).ok;
  assert.deepEqual([again.claims, again.metadata], [{ nickname: 'ada' }, undefined]);
  await page.close();
});

test('an app that requires a verified email: the code through verifyEmail, the link in the browser', { skip: !process.env.SEALBASE_TEST_MAILDIR && 'needs the SMTP sink of cargo xtask test' }, async () => {
  const app = server.createApp(['--require-verified-email']);
  const run = Math.random().toString(36).slice(2);
  const [ada, grace] = [`ada-${run}@example.com`, `grace-${run}@example.com`];
  const page = await openPage();
  await page.evaluate(() => { window.updates = []; });
  await page.evaluate(([appId, endpoint]) =>
    window.sealbase.init({ appId, endpoint, updateUserHandler: (update) => window.updates.push(update) }), [app.appId, server.url]);
  const user = (await call(page, 'signUp', { username: ada, password: PASSWORD, email: ada, rememberMe: 'none' })).ok;
  assert.equal(user.emailVerified, undefined);
  const [{ code }] = verificationMails(ada);
  expectError(await call(page, 'verifyEmail', { code: code === '00000000' ? '11111111' : '00000000' }), 'EmailVerificationNotValid', 400,
    'Email verification not valid. The link or code may be wrong, expired or used.');
  const verified = await call(page, 'verifyEmail', { code });
  assert.equal(verified.ok.emailVerified, true);
  assert.equal(await page.evaluate(() => window.updates.at(-1).user.emailVerified), true);
  await call(page, 'signOut');
  assert.equal((await call(page, 'signIn', { username: ada, password: PASSWORD, rememberMe: 'none' })).ok.emailVerified, true);
  await call(page, 'signOut');

  // Not verified: refused after a right password; the mail's link, opened in the browser, verifies.
  await call(page, 'signUp', { username: grace, password: PASSWORD, email: grace, rememberMe: 'none' });
  await call(page, 'signOut');
  expectError(await call(page, 'signIn', { username: grace, password: PASSWORD }), 'EmailNotVerified', 403,
    'Email not verified. Follow the link or enter the code from the verification email.');
  const [{ link }] = verificationMails(grace);
  const tab = await browser.context.newPage();
  await tab.goto(link);
  await tab.waitForFunction(() => document.getElementById('message').textContent.includes('confirmed'));
  assert.equal(new URL(tab.url()).hash, '', 'the token left the address bar');
  await tab.close();
  assert.equal((await call(page, 'signIn', { username: grace, password: PASSWORD, rememberMe: 'none' })).ok.emailVerified, true);
  await page.close();
});

test('app data: encrypted in the browser and opened after signing in again; sealed to another user; signatures', async () => {
  const app = server.createApp();
  const [alice, bob] = [await openPage(), await openPage()];
  await initPage(alice, app);
  await initPage(bob, app);
  await call(alice, 'signUp', { username: 'alice', password: PASSWORD, rememberMe: 'none' });
  await call(bob, 'signUp', { username: 'bob', password: PASSWORD, rememberMe: 'none' });

  // Bytes in and out (typed arrays stay inside the page).
  const bytes = await alice.evaluate(async () => {
    const envelope = await window.sealbase.encrypt({ context: 'notes/1', data: new Uint8Array([1, 2, 3, 250]) });
    const opened = await window.sealbase.decrypt({ context: 'notes/1', envelope });
    const wrong = await window.sealbase.decrypt({ context: 'notes/2', envelope }).catch((error) => error.name);
    const mistyped = await window.sealbase.encrypt({ context: 'notes/1', data: 42 }).catch((error) => error.name);
    return { length: envelope.length, isBytes: envelope instanceof Uint8Array, opened: [...opened], wrong, mistyped };
  });
  assert.deepEqual(bytes, { length: 1 + 12 + 4 + 16, isBytes: true, opened: [1, 2, 3, 250], wrong: 'EnvelopeNotValid', mistyped: 'DataMustBeBytesOrString' });

  // A JSON note survives signing out and in: the same seed, so the same key.
  const note = { title: 'plans', body: 'ünïcode ✓', tags: ['a'] };
  const envelope = (await call(alice, 'encryptJson', { context: 'notes/2', value: note })).ok;
  assert.match(envelope, /^[A-Za-z0-9_-]+$/);
  assert.ok(!envelope.includes(Buffer.from('plans').toString('base64url')), 'plaintext visible in the envelope');
  await call(alice, 'signOut');
  expectError(await call(alice, 'decryptJson', { context: 'notes/2', envelope }), 'UserNotSignedIn', 400, 'Not signed in.');
  await call(alice, 'signIn', { username: 'alice', password: PASSWORD, rememberMe: 'none' });
  assert.deepEqual((await call(alice, 'decryptJson', { context: 'notes/2', envelope })).ok, note);
  expectError(await call(bob, 'decryptJson', { context: 'notes/2', envelope }), 'EnvelopeNotValid', 400,
    'Encrypted data not valid. It was made with another key, app or context, or altered.');

  // Sealed from alice's page to bob's; the envelope crosses as plain numbers.
  const sealed = await alice.evaluate(async () =>
    Array.from(await window.sealbase.sealFor({ username: 'Bob', context: 'chat', data: 'hello bob' })));
  const open = (page, context) => page.evaluate(async ([sealed, context]) => {
    try {
      return new TextDecoder().decode(await window.sealbase.openSealed({ context, envelope: new Uint8Array(sealed) }));
    } catch (error) {
      return error.name;
    }
  }, [sealed, context]);
  assert.equal(await open(bob, 'chat'), 'hello bob');
  assert.equal(await open(bob, 'other'), 'EnvelopeNotValid');
  assert.equal(await open(alice, 'chat'), 'EnvelopeNotValid', 'not even the sender opens it');
  expectError(await call(alice, 'sealFor', { username: 'nobody', context: 'chat', data: 'x' }), 'UserNotFound', 404, 'User not found.');

  // Signatures, checked against the key the server has for the signer.
  const signature = (await call(alice, 'sign', { context: 'posts/1', data: 'I wrote this' })).ok;
  assert.equal((await call(bob, 'verify', { username: 'alice', context: 'posts/1', data: 'I wrote this', signature })).ok, true);
  expectError(await call(bob, 'verify', { username: 'alice', context: 'posts/1', data: 'I wrote that', signature }), 'SignatureNotValid', 400, 'Signature not valid.');
  expectError(await call(bob, 'verify', { username: 'bob', context: 'posts/1', data: 'I wrote this', signature }), 'SignatureNotValid', 400, 'Signature not valid.');
  await alice.close();
  await bob.close();
});

test('no secret at rest: after signUp with each rememberMe, nothing readable holds the seed, the session secret or a key from them', async () => {
  const encodings = (hex) => {
    const bytes = Buffer.from(hex, 'hex');
    return [hex, hex.toUpperCase(), bytes.toString('base64url'), bytes.toString('base64').replace(/=+$/, '')];
  };
  for (const mode of ['local', 'session', 'none']) {
    const app = server.createApp();
    const { context, profile } = await launchBrowser();
    let secrets;
    try {
      const page = await context.newPage();
      await page.goto(`${site.url}/tests/js/page/hooks.html`);
      await page.waitForFunction(() => window.ready === true);
      await page.evaluate(([appId, endpoint]) => window.sealbase.init({ appId, endpoint }), [app.appId, server.url]);
      const { recoveryKey } = await page.evaluate(
        ([mode, password]) => window.sealbase.signUp({ username: 'ada', password, rememberMe: mode, recoveryKey: true }),
        [mode, PASSWORD],
      );
      secrets = await page.evaluate(() => window.secrets());
      const dump = await page.evaluate(() => window.dumpEverything());
      const text = JSON.stringify(dump);
      // The recovery key is shown once and kept nowhere, in any of its written forms.
      for (const form of [recoveryKey, recoveryKey.replaceAll('-', ''), recoveryKey.toLowerCase()]) {
        assert.ok(!text.includes(form), `${mode}: the recovery key at rest as ${form}`);
      }
      for (const [name, hex] of Object.entries(secrets)) {
        if (!hex) continue;
        for (const encoded of encodings(hex)) assert.ok(!text.includes(encoded), `${mode}: ${name} at rest as ${encoded}`);
      }
      const deviceKeys = dump.indexedDB.filter((record) => record.cryptoKey);
      if (mode === 'none') {
        assert.deepEqual({ local: dump.local, session: dump.session, deviceKeys }, { local: {}, session: {}, deviceKeys: [] }, 'none leaves nothing');
        assert.equal(secrets.storageKey, '', 'no storage key made for a session that is not kept');
      } else {
        const entry = JSON.parse(dump[mode][`sealbase.${app.appId}`]);
        assert.deepEqual(Object.keys(entry).sort(), ['lastUsedUsername', 'sealedSession'], mode);
        assert.deepEqual(deviceKeys.map((record) => record.cryptoKey), [{ type: 'secret', extractable: false, algorithm: 'HMAC', exported: 'InvalidAccessError' }]);
      }
      await page.close();
    } finally {
      await context.close();
    }
    if (mode !== 'local') continue;
    // A browser restart resumes the sealed session; with the device key gone it is dead, never a crash.
    const restarted = await launchBrowser(profile);
    try {
      const page = await openPage(restarted.context);
      assert.equal((await initPage(page, app)).ok.user.username, 'ada');
      await page.evaluate(() => new Promise((resolve) => { const r = indexedDB.deleteDatabase('sealbase'); r.onsuccess = r.onerror = r.onblocked = resolve; }));
      await page.reload();
      await page.waitForFunction(() => window.ready === true);
      assert.deepEqual(await initPage(page, app), { ok: { lastUsedUsername: 'ada' } });
      assert.deepEqual(JSON.parse((await storage(page, app.appId)).local), { lastUsedUsername: 'ada' }, 'the dead session is cleared');
    } finally {
      await restarted.context.close();
    }
  }
});

test('the browser example: sign up with a recovery key, keep an encrypted note, sign out and in, reset the password, and read it again', async () => {
  const app = server.createApp();
  const page = await openPage();
  await page.goto(`${site.url}/examples/browser/index.html?appId=${app.appId}&endpoint=${encodeURIComponent(server.url)}`);
  const status = async (text) => page.waitForFunction((text) => document.getElementById('status').textContent.includes(text), text);
  await page.click('#init');
  await status('Connected.');
  await page.fill('#username', 'ada');
  await page.fill('#password', PASSWORD);
  await page.selectOption('#rememberMe', 'local');
  await page.click('#signUp');
  await status('Signed up.');
  assert.match(await page.textContent('#storage'), /localStorage: signed-in session, sealed/);
  await page.fill('#note', 'meet at the old mill at nine');
  await page.click('#saveNote');
  await status('Encrypted');
  const ciphertext = await page.textContent('#noteCiphertext');
  assert.match(ciphertext, /^[A-Za-z0-9_-]{40,}$/);
  assert.ok(!ciphertext.includes(Buffer.from('old mill').toString('base64url').slice(0, 8)), 'the note is not readable');
  await page.click('#signOut');
  await status('Signed out.');
  await page.click('#signIn');
  await status('Signed in.');
  await page.click('#openNote');
  await status('Decrypted');
  assert.equal(await page.inputValue('#note'), 'meet at the old mill at nine');

  // The recovery key shown at sign-up, once; the password forgotten: reset with the key.
  const shown = (await page.textContent('#recoveryKeyShown')).split('\n')[0];
  assert.match(shown, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/);
  await page.click('#signOut');
  await status('Signed out.');
  await page.fill('#note', '');
  await page.fill('#recoveryKey', shown.toLowerCase());
  await page.fill('#newPassword', 'a brand new password');
  await page.click('#resetPassword');
  await status('Password reset');
  await page.click('#openNote');
  await status('Decrypted');
  assert.equal(await page.inputValue('#note'), 'meet at the old mill at nine', 'the same seed after the reset');
  // The old password is gone, the new one signs in.
  await page.click('#signOut');
  await status('Signed out.');
  await page.click('#signIn');
  await status('UsernameOrPasswordMismatch');
  await page.fill('#password', 'a brand new password');
  await page.click('#signIn');
  await status('Signed in.');
  // A new key replaces the shown one.
  await page.click('#generateRecoveryKey');
  await status('New recovery key made');
  assert.notEqual((await page.textContent('#recoveryKeyShown')).split('\n')[0], shown);
  await page.close();
});

// Counts what the page posts to the package's KDF worker (each derivation names its scrypt cost).
function watchWorkers() {
  window.workerScripts = [];
  window.derivations = [];
  window.passwordsLeft = [];
  const Original = window.Worker;
  window.Worker = class extends Original {
    constructor(url, options) {
      super(url, options);
      window.workerScripts.push(new URL(url).pathname);
      // Only keys the worker answered count: a failed derivation falls back to the page.
      this.addEventListener('message', (event) => {
        if (event.data?.key) window.derivations.push(event.data.key.length);
      });
    }
    postMessage(message, transfer) {
      super.postMessage(message, transfer);
      // What of the password stays on the page once posted: a transferred array is detached.
      if (message?.password !== undefined) {
        window.passwordsLeft.push(message.password instanceof Uint8Array ? message.password.byteLength : 'not bytes');
      }
    }
  };
}

test('password keys are derived in a module worker on the same module; without workers the page derives them itself', async () => {
  const app = server.createApp();
  const page = await browser.context.newPage();
  await page.addInitScript(watchWorkers);
  const wasmRequests = [];
  page.on('request', (request) => {
    if (request.url().endsWith('.wasm')) wasmRequests.push(new URL(request.url()).pathname);
  });
  await page.goto(`${site.url}/`);
  await page.waitForFunction(() => window.ready === true);
  await initPage(page, app);
  assert.ok((await call(page, 'signUp', { username: 'ada', password: PASSWORD, rememberMe: 'none' })).ok);
  const note = (await call(page, 'encryptJson', { context: 'note', value: 'by the worker' })).ok;
  await call(page, 'signOut');
  assert.ok((await call(page, 'signIn', { username: 'ada', password: PASSWORD, rememberMe: 'none' })).ok);
  assert.equal((await call(page, 'decryptJson', { context: 'note', envelope: note })).ok, 'by the worker', 'the same seed');
  assert.equal((await call(page, 'updateUser', { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` })).ok, null);
  const seen = await page.evaluate(() => ({ scripts: window.workerScripts, derivations: window.derivations }));
  assert.deepEqual(seen.scripts, ['/pkg/worker.js'], 'one worker, the package\'s');
  assert.deepEqual(seen.derivations, [32, 32, 32, 32], 'signUp, signIn, and a password change\'s two keys, all from the worker');
  assert.deepEqual(
    await page.evaluate(() => window.passwordsLeft),
    [0, 0, 0, 0],
    'each password went to the worker as bytes, transferred: no copy left on the page',
  );
  assert.deepEqual(wasmRequests, ['/pkg/sealbase_wasm_bg.wasm'], 'the module is fetched once, for the page and the worker');
  await page.close();

  // A page whose policy forbids workers: the same calls, derived on the page.
  const plain = await browser.context.newPage();
  await plain.addInitScript(() => {
    window.Worker = class {
      constructor() {
        throw new DOMException('workers are not allowed here', 'SecurityError');
      }
    };
  });
  await plain.goto(`${site.url}/`);
  await plain.waitForFunction(() => window.ready === true);
  await initPage(plain, app);
  const signedIn = await call(plain, 'signIn', { username: 'ada', password: `${PASSWORD}!`, rememberMe: 'none' });
  assert.ok(signedIn.ok, JSON.stringify(signedIn));
  assert.equal((await call(plain, 'decryptJson', { context: 'note', envelope: note })).ok, 'by the worker');
  await plain.close();

  // A worker that fails once it is asked: that call and every later one derive on the page, and the
  // page stops posting to it.
  const failing = await browser.context.newPage();
  await failing.addInitScript(() => {
    window.asked = 0;
    const Original = window.Worker;
    window.Worker = class extends Original {
      postMessage(message, transfer) {
        if (message?.password === undefined) return super.postMessage(message, transfer);
        window.asked += 1;
        setTimeout(() => this.onerror?.(new ErrorEvent('error', { message: 'the worker crashed' })));
      }
    };
  });
  await failing.goto(`${site.url}/`);
  await failing.waitForFunction(() => window.ready === true);
  await initPage(failing, app);
  for (let round = 0; round < 2; round += 1) {
    const result = await call(failing, 'signIn', { username: 'ada', password: `${PASSWORD}!`, rememberMe: 'none' });
    assert.ok(result.ok, JSON.stringify(result));
    await call(failing, 'signOut');
  }
  assert.equal(await failing.evaluate(() => window.asked), 1, 'asked once, then given up');
  await failing.close();
});
