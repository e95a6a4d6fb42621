// KDF timings of the npm package: sealbase's wasm scrypt (log2 N = 15, r = 8, p = 1) in Node and in
// headless Chromium, and the pure-JS scrypt-js that userbase-js uses at 2^15 and 2^14 in the same
// Chromium (its synchronous entry point, and at 2^14 also the promise API userbase-js calls); then the
// cold page: `init` and the first signUp on freshly loaded pages, each in a fresh browser profile
// against a sealbase-server (SEALBASE_SERVER_BIN), with the longest main-thread task during that
// signUp and the warm KDF on the same page. Prints one JSON object of millisecond samples; `cargo
// xtask bench` feeds it to the report.
import { readFile } from 'node:fs/promises';
// The test build: the published package has no benchmark hook.
import startWasm, { __benchDeriveKey } from '../target/pkg-hooks/sealbase_wasm.js';
import { launchBrowser, startServer, startStaticServer } from '../tests/js/support.mjs';

const times = Number(process.env.BENCH_KDF_RUNS ?? 15);
const coldPages = Number(process.env.BENCH_COLD_PAGES ?? 5);

await startWasm({ module_or_path: await readFile(new URL('../target/pkg-hooks/sealbase_wasm_bg.wasm', import.meta.url)) });
__benchDeriveKey(15, 8, 1);
const nodeSamples = [];
for (let i = 0; i < times; i += 1) {
  const start = performance.now();
  __benchDeriveKey(15, 8, 1);
  nodeSamples.push(performance.now() - start);
}

const site = await startStaticServer();
const { context } = await launchBrowser();
try {
  const page = await context.newPage();
  await page.goto(`${site.url}/tests/js/page/bench.html`);
  await page.waitForFunction(() => window.ready === true);
  const browser = await page.evaluate((times) => window.measure(times), times);
  const chromium = (await context.browser()?.version()) ?? 'Chromium';
  const coldPage = await measureColdPages();
  console.log(JSON.stringify({ node: { sealbaseWasm15: nodeSamples }, chromium: browser, coldPage, versions: { node: process.version, chromium } }));
} finally {
  await context.close();
  site.stop();
}

// Each sample in a browser of its own, on a fresh profile: nothing compiled or cached before.
async function measureColdPages() {
  const server = await startServer();
  const samples = { initMs: [], firstSignUpMs: [], longestTaskInSignUpMs: [], secondSignUpMs: [], warmKdfMs: [] };
  try {
    const app = server.createApp();
    for (let i = 0; i < coldPages; i += 1) {
      const { context: fresh } = await launchBrowser();
      try {
        const page = await fresh.newPage();
        await page.goto(`${site.url}/tests/js/page/cold.html`);
        await page.waitForFunction(() => window.ready === true);
        const params = { appId: app.appId, endpoint: server.url, username: `cold-${i}`, password: 'correct horse battery staple' };
        const sample = await page.evaluate((params) => window.measure(params), params);
        for (const [name, value] of Object.entries(sample)) samples[name].push(value);
      } finally {
        await fresh.close();
      }
    }
  } finally {
    server.stop();
  }
  return samples;
}
