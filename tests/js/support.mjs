// Shared fixtures of the JavaScript suites: a real sealbase-server on loopback (SQLite in a temp dir, or,
// with SEALBASE_TEST_POSTGRES set to a cluster's superuser URL, a database of its own there), apps
// created with its CLI, a static server for the package and the test page, headless Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, extname, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const serverBin = resolve(repo, process.env.SEALBASE_SERVER_BIN ?? 'target/debug/sealbase-server');

// A fresh database on the PostgreSQL cluster of the run, created and dropped with psql.
function postgresDatabase(clusterUrl) {
  const psql = process.env.SEALBASE_TEST_PSQL ?? 'psql';
  const name = `js_${randomUUID().replaceAll('-', '')}`;
  execFileSync(psql, ['-q', '-v', 'ON_ERROR_STOP=1', '-d', clusterUrl, '-c', `CREATE DATABASE ${name}`]);
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync(psql, ['-q', '-d', clusterUrl, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

// A key-encryption key file (32 random bytes, base64url, for its owner only), which a server on PostgreSQL
// needs; on SQLite the server makes one beside the database.
function keyEncryptionKeyFile(dir) {
  const file = join(dir, 'kek');
  writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return file;
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'sealbase-js-'));
  const postgres = process.env.SEALBASE_TEST_POSTGRES ? postgresDatabase(process.env.SEALBASE_TEST_POSTGRES) : null;
  const database = postgres ? postgres.url : `sqlite://${join(dir, 'sealbase.db')}`;
  const kek = postgres ? { SEALBASE_KEY_ENCRYPTION_KEY_FILE: keyEncryptionKeyFile(dir) } : {};
  // Verification mail goes to the run's SMTP sink (cargo xtask test starts one), when there is one.
  const mail = process.env.SEALBASE_TEST_SMTP_URL ? ['--smtp-url', process.env.SEALBASE_TEST_SMTP_URL] : [];
  const child = spawn(serverBin, ['serve', '--database', database, '--bind', '127.0.0.1:0', '--address-budget-per-minute', '100000', ...mail], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn', ...kek },
  });
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`sealbase-server exited with ${code}`)));
  });
  return {
    url,
    createApp(options = []) {
      const out = execFileSync(serverBin, ['app', 'create', '--database', database, '--name', 'test', ...options]);
      return JSON.parse(out.toString());
    },
    // A secret for the app's backend (`sbs.…`), made with the CLI.
    createAppSecret(appId) {
      const out = execFileSync(serverBin, ['app', 'secret', 'create', '--database', database, '--app-id', appId, '--name', 'backend']);
      return JSON.parse(out.toString()).appSecret;
    },
    // A call of the server-side API as an app's backend makes it: { status, body }.
    async backend(path, body, secret, method = 'POST') {
      const headers = { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) };
      const response = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    },
    stop() {
      child.kill();
      postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The verification mails the run's SMTP sink received for `to` ({ link, code } each), oldest first; null
// outside cargo xtask test (no sink).
export function verificationMails(to) {
  const maildir = process.env.SEALBASE_TEST_MAILDIR;
  if (!maildir) return null;
  const files = ['new', 'cur'].flatMap((sub) => {
    try { return readdirSync(join(maildir, sub)).map((name) => join(maildir, sub, name)); } catch { return []; }
  });
  return files
    .map((file) => ({ file, mtime: statSync(file).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime)
    .map(({ file }) => readFileSync(file, 'utf8').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))))
    .filter((mail) => mail.split(/\r?\n/).some((line) => line.toLowerCase() === `to: ${to}`.toLowerCase()))
    .map((mail) => ({ link: mail.match(/\S+#token=\S+/)[0], code: mail.match(/^\s+(\d{8})\s*$/m)[1] }));
}

// Hashes made by reference implementations (tests/fixtures/imported_hashes.py), one per algorithm family.
export function importFixtures() {
  const fixtures = JSON.parse(readFileSync(join(repo, 'tests/fixtures/imported_hashes.json'), 'utf8'));
  const first = (prefix) => fixtures.find((fixture) => fixture.description.startsWith(prefix));
  return ['bcrypt', 'argon2id', 'pbkdf2-sha256 plain'].map(first).map((fixture) => {
    const body = { hash_fn: fixture.hash_fn, password: fixture.hash };
    for (const key of ['salt', 'hash_iterations', 'hash_digest']) if (key in fixture) body[key] = fixture[key];
    return { description: fixture.description, password: fixture.password, body };
  });
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

// Serves `/pkg/*` from the built package, `/target/pkg-hooks/*` from the test build, and `/` as the
// test page.
export async function startStaticServer() {
  const server = createServer((request, response) => {
    const path = request.url === '/' ? join(repo, 'tests/js/page/index.html') : join(repo, decodeURIComponent(request.url.split('?')[0]));
    const served = ['pkg', 'target/pkg-hooks', 'tests/js/page', 'examples/browser', 'tests/js/node_modules/scrypt-js'].map((dir) => join(repo, dir));
    if (!served.some((dir) => path.startsWith(dir))) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() };
}

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

// A browser with its own profile directory; `profile` lets a test restart the same browser.
export async function launchBrowser(profile = mkdtempSync(join(tmpdir(), 'sealbase-profile-'))) {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
  });
  return { context, profile };
}
