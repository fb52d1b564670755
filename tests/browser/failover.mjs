// Browser test of notifier failover (docs/CLUSTER.md): one uwitter-web and two
// uwitter-notifiers, `--notifier-url A,B`. Bob's page connects to his own
// notifier (the first of his ticket's order, data-notifier-url); it is
// SIGKILLed; within seconds the page is live on the other one (notify.js's
// fallback rule) and shows the toast of alice's next uweet.
//
//   UWITTER_WEB_BIN=... UWITTER_NOTIFIER_BIN=... node tests/browser/failover.mjs
//
// run.mjs imports runFailoverTest. UWITTER_DB_FAILOVER: a PostgreSQL database
// for all three daemons (the browser-postgres run), else a SQLite file.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { check, start, stop, until, CHROMIUM, ARGS, ARTIFACTS } from './notify.mjs';

const WEB = process.env.UWITTER_WEB_BIN;
const NOTIFIER = process.env.UWITTER_NOTIFIER_BIN;

export async function runFailoverTest() {
  check(WEB && NOTIFIER, 'UWITTER_WEB_BIN and UWITTER_NOTIFIER_BIN must be set');
  mkdirSync(ARTIFACTS, { recursive: true });
  const temps = [];
  const temp = (p) => { const d = mkdtempSync(join(tmpdir(), p)); temps.push(d); return d; };
  const data = temp('uwitter-failover-data-');
  const procs = [];
  const contexts = [];
  let killed = null;
  const exits = [];
  try {
    const db = process.env.UWITTER_DB_FAILOVER || join(data, 'uwitter.db');
    const args = (udp, http, origin) => ['--listen-udp', udp, '--listen-http', http, '--db', db,
      '--trust', join(data, 'keys', 'uwitter.pub'), '--cors-origin', origin];
    // Notifiers first (their ports go to the web app), then the web app, then
    // the notifiers again on the same ports with the web app's origin allowed.
    let ns = [start(NOTIFIER, args('127.0.0.1:0', '127.0.0.1:0', 'http://invalid'), 2),
      start(NOTIFIER, args('127.0.0.1:0', '127.0.0.1:0', 'http://invalid'), 2)];
    const ports = await Promise.all(ns.map((n) => n.ready));
    const urls = ports.map((p) => `http://${p.http}`);
    const w = start(WEB, ['--listen', '127.0.0.1:0', '--data', data, '--db', db,
      '--notify', ports.map((p) => p.udp).join(','), '--notifier-url', urls.join(',')], 1);
    procs.push(w);
    const base = `http://${(await w.ready).http}`;
    for (const n of ns) check((await stop(n)) === '', 'a first notifier did not stop cleanly');
    ns = ports.map((p) => start(NOTIFIER, args(p.udp, p.http, base), 2));
    procs.push(...ns);
    await Promise.all(ns.map((n) => n.ready));
    for (const u of urls) {
      await until(async () => /uwitter_notifier_trusted_keys 1/.test(await (await fetch(`${u}/metrics`)).text()),
        `${u} to trust the web app's key`);
    }

    const person = async (name) => {
      const context = await chromium.launchPersistentContext(temp(`uwitter-failover-${name}-`), {
        executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1000, height: 700 } });
      contexts.push(context);
      context.setDefaultTimeout(15000);
      const page = context.pages()[0] || await context.newPage();
      const problems = [];
      const events = [];  // every /events response, in order
      page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
      page.on('response', (r) => { if (r.url().includes('/events')) events.push(`${r.status()} ${r.url()}`); });
      await page.goto(`${base}/accounts/register`);
      await page.fill('#username', name);
      await page.fill('#password', `${name}-password`);
      await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/accounts/register"] button[type=submit]')]);
      return { name, page, problems, events };
    };
    const alice = await person('alice');
    const bob = await person('bob');
    await bob.page.goto(`${base}/u/alice`);
    await Promise.all([bob.page.waitForURL(`${base}/u/alice`), bob.page.click('form[action="/follow/alice"] button')]);
    await bob.page.goto(`${base}/`);
    const state = () => bob.page.getAttribute('#notif', 'data-state');
    await until(async () => (await state()) === 'live', 'bob\'s live connection');
    const own = await bob.page.getAttribute('#notif', 'data-notifier-url');
    const order = (await bob.page.getAttribute('#notif', 'data-notifier-urls')).split(' ');
    check(order.length === 2 && order[0] === own && urls.includes(own), `bad hook: ${own} / ${order}`);
    // Every stream the pages so far opened (one per page load) went to his own notifier.
    check(bob.events.length > 0 && bob.events.every((e) => e.includes(`${own}/events`)),
      `not on his own notifier: ${bob.events.join('\n')}`);
    const post = async (text) => {
      await alice.page.fill('#uweet-text', text);
      await Promise.all([alice.page.waitForURL(`${base}/`), alice.page.click('form[action="/post"] button[type=submit]')]);
    };
    await post('Before the notifier dies');
    await bob.page.locator('.notif-toast', { hasText: 'Before the notifier dies' }).waitFor({ state: 'visible', timeout: 10000 });

    // His notifier is killed: the page goes to the other one and is live again within seconds.
    killed = ns[urls.indexOf(own)];
    const t0 = Date.now();
    const seen = bob.events.length;
    killed.child.kill('SIGKILL');
    await until(async () => bob.events.slice(seen).some((e) => e.startsWith('200 ') && e.includes(`${order[1]}/events`)) &&
      (await state()) === 'live', 'bob\'s page to be live on the other notifier', 20000)
      .catch((e) => { throw new Error(`${e.message}\n${bob.events.join('\n')}`); });
    const moved = Date.now() - t0;
    check(moved < 12000, `the page took ${moved} ms to move`);
    await post('After the notifier died');
    await bob.page.locator('.notif-toast', { hasText: 'After the notifier died' }).waitFor({ state: 'visible', timeout: 10000 });
    await bob.page.screenshot({ path: join(ARTIFACTS, 'notify-failover.png') });
    const problems = [...alice.problems, ...bob.problems];
    check(problems.length === 0, `page errors:\n${problems.join('\n')}`);
    console.log(`browser failover: the page was live on the next notifier ${moved} ms after the SIGKILL`);
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    for (const p of procs) {
      const e = await stop(p);
      if (p !== killed) exits.push(e);
    }
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
  const bad = exits.filter((e) => e !== '');
  check(bad.length === 0, `a daemon did not exit cleanly:\n${bad.join('\n')}`);
  console.log('browser failover: 1 passed, 0 failed');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runFailoverTest().catch((e) => {
    console.error(`browser failover test FAILED: ${e.stack || e}`);
    console.log('browser failover: 0 passed, 1 failed');
    process.exit(1);
  });
}
