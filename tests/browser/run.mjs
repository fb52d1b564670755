// Browser test of the Uwitter HTML UI: Playwright (playwright-core) drives
// Debian's chromium against a real uwitter-web started here on port 0.
//
//   UWITTER_WEB_BIN=build/web/uwitter-web node tests/browser/run.mjs
//
// Two people sign up in two separate browser profiles, one follows the other,
// the other posts, the follower sees the uweet and finds it (a mention of
// them) in the stored history on /notifications after a reload, then marks it
// read; typing 142 characters into the
// post box leaves 141 and the counter at 0. Screenshots go to $UWITTER_ARTIFACTS
// (default ./artifacts). Exits non-zero with a message on any failure and always
// stops the server and the browsers.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const BIN = process.env.UWITTER_WEB_BIN;
const ARTIFACTS = resolve(process.env.UWITTER_ARTIFACTS || 'artifacts');
const CHROMIUM = process.env.UWITTER_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const temps = [];
function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Starts uwitter-web and resolves with its base URL once it prints "listening http HOST:PORT".
function startServer() {
  check(BIN, 'UWITTER_WEB_BIN is not set (path of the uwitter-web program)');
  const data = tempDir('uwitter-browser-data-');
  // UWITTER_DB_UI: a PostgreSQL database (the browser-postgres run,
  // tests/with_postgres.cpp), else the SQLite file under --data.
  const db = process.env.UWITTER_DB_UI ? ['--db', process.env.UWITTER_DB_UI] : [];
  const child = spawn(BIN, ['--listen', '127.0.0.1:0', '--data', data, ...db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const ready = new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('uwitter-web did not print "listening http" within 20 s\n' + stderr)), 20000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening http (\S+):(\d+)/.exec(line);
      if (m) { clearTimeout(timer); res(`http://${m[1]}:${m[2]}`); }
    });
    child.on('exit', (code, sig) => { clearTimeout(timer); rej(new Error(`uwitter-web exited early (${code ?? sig})\n${stderr}`)); });
  });
  return { child, ready, stderr: () => stderr };
}

// SIGTERM, then SIGKILL if it has not exited within 5 s. Resolves with '' when
// it exited 0, else why not (in the sanitizer build a leak or memory error
// makes the exit status non-zero) with the end of its stderr.
function stopServer(server) {
  const { child } = server;
  let killed = false;
  const verdict = () => (child.exitCode === 0 ? ''
    : `uwitter-web exited with ${child.exitCode ?? child.signalCode}${killed ? ' (killed after 5 s)' : ''}\n${server.stderr().slice(-4000)}`);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(verdict());
  return new Promise((res) => {
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, 5000);
    child.once('exit', () => { clearTimeout(timer); res(verdict()); });
    child.kill('SIGTERM');
  });
}

// One person: a browser with its own fresh profile directory.
async function person(name, options) {
  const context = await chromium.launchPersistentContext(tempDir(`uwitter-profile-${name}-`), {
    executablePath: CHROMIUM, headless: true, args: ARGS, ...options,
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()} (${m.location().url || 'no url'})`);
  });
  return { name, context, page, problems };
}

async function shot(p, file) {
  await p.page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
  console.log(`screenshot ${join(ARTIFACTS, file)}`);
}

async function signUp(p, base, password) {
  await p.page.goto(`${base}/accounts/register`);
  await p.page.fill('#username', p.name);
  await p.page.fill('#password', password);
  await Promise.all([p.page.waitForURL(`${base}/`), p.page.click('form[action="/accounts/register"] button[type=submit]')]);
  check(await p.page.isVisible('#uweet-text'), `${p.name}: no post box after signing up`);
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = startServer();
  process.once('exit', () => { if (server.child.exitCode === null) server.child.kill('SIGKILL'); });
  const people = [];
  let exit = '';
  try {
    const base = await server.ready;
    console.log(`server at ${base}`);
    const alice = await person('alice', { viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, deviceScaleFactor: 2 });
    const bob = await person('bob', { viewport: { width: 1100, height: 760 }, colorScheme: 'light' });
    people.push(alice, bob);

    await alice.page.goto(`${base}/accounts/register`);
    await shot(alice, 'register-mobile-dark.png');
    await signUp(alice, base, 'alice-password');
    await signUp(bob, base, 'bob-password');

    // Bob follows Alice.
    await bob.page.goto(`${base}/u/alice`);
    await Promise.all([bob.page.waitForURL(`${base}/u/alice`), bob.page.click('form[action="/follow/alice"] button')]);
    check(await bob.page.isVisible('form[action="/unfollow/alice"] button'), 'bob: no Unfollow button after following');

    // Alice posts (Ctrl+Enter also submits, but click like most people do).
    const text = 'Hello @bob! First uweet from Alice 🎉 — with <b>markup</b> that must stay text.';
    await alice.page.goto(`${base}/`);
    await alice.page.fill('#uweet-text', text);
    const left = await alice.page.textContent('#uweet-counter');
    check(left === String(141 - Array.from(text).length), `counter shows ${left} for ${Array.from(text).length} code points`);
    await Promise.all([alice.page.waitForURL(`${base}/`), alice.page.click('form[action="/post"] button[type=submit]')]);

    // Bob sees it on his home timeline, escaped, with the mention linked.
    await bob.page.goto(`${base}/`);
    const item = bob.page.locator('.uweet', { hasText: 'First uweet from Alice' });
    check(await item.count() === 1, 'bob: the uweet of alice is not on his home timeline');
    check((await item.locator('.text').textContent()).includes('<b>markup</b>'), 'markup was not shown as text');
    check(await item.locator('a.mention[href="/u/bob"]').count() === 1, '@bob is not a link');
    check((await item.locator('time').textContent()) === 'now', 'relative time is not "now"');
    // Bob's stored notification history (no notifier runs here): alice's
    // uweet, a mention of him, is on /notifications as rendered by the server,
    // still there after a reload, and "Mark all as read" marks it read.
    await bob.page.goto(`${base}/notifications`);
    const stored = () => bob.page.locator('#notif-items li.notif-mention', { hasText: 'First uweet from Alice' });
    check(await stored().count() === 1, 'bob: alice\'s uweet is not on /notifications');
    check(await bob.page.locator('#notif-items li.notif-mention.unread').count() === 1, 'bob: the mention is not shown as unread');
    await bob.page.reload();
    check(await stored().count() === 1, 'bob: the stored notification is gone after a reload');
    await shot(bob, 'notifications-desktop-light.png');
    await Promise.all([bob.page.waitForEvent('load'), bob.page.click('form[action="/notifications/read"] button')]);
    check(await bob.page.locator('#notif-items li.unread').count() === 0, 'bob: still unread after "Mark all as read"');
    check(await stored().count() === 1, 'bob: the notification is no longer listed once read');
    await alice.page.goto(`${base}/notifications`);
    check(await alice.page.locator('#notif-items li.notif-follow', { hasText: '@bob' }).count() === 1, 'alice: no "@bob followed you"');
    await bob.page.goto(`${base}/`);
    await bob.page.fill('#uweet-text', 'Welcome aboard, @alice. Following you now!');
    await Promise.all([bob.page.waitForURL(`${base}/`), bob.page.click('form[action="/post"] button[type=submit]')]);
    await shot(bob, 'home-desktop-light.png');

    await bob.page.goto(`${base}/u/alice`);
    await shot(bob, 'profile-desktop-light.png');

    // The counter: typing 142 characters leaves 141 and shows 0.
    await alice.page.goto(`${base}/`);
    await alice.page.click('#uweet-text');
    await alice.page.keyboard.type('x'.repeat(142));
    const value = await alice.page.inputValue('#uweet-text');
    check(Array.from(value).length === 141, `post box holds ${Array.from(value).length} characters after typing 142`);
    const counter = await alice.page.textContent('#uweet-counter');
    check(counter === '0', `counter shows "${counter}" instead of "0"`);
    check(await alice.page.locator('#uweet-counter.danger').count() === 1, 'counter is not red at the limit');
    await shot(alice, 'home-mobile-dark-counter.png');

    // An anonymous visitor gets the public timeline and a way in.
    await bob.page.click('nav form[action="/accounts/logout"] button');
    await bob.page.waitForURL(`${base}/`);
    check(await bob.page.isVisible('a[href="/accounts/register"]'), 'logged-out home has no sign-up link');
    await shot(bob, 'welcome-desktop-light.png');

    const problems = people.flatMap((p) => p.problems);
    check(problems.length === 0, `browser reported problems:\n${problems.join('\n')}`);
  } finally {
    for (const p of people) await p.context.close().catch(() => {});
    exit = await stopServer(server);
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
  check(exit === '', `the server did not exit cleanly: ${exit}`);
  console.log('browser UI journey: passed');
}

// The UI journey, then, when UWITTER_NOTIFIER_BIN is set, the live-notification
// test of tests/browser/notify.mjs against a real notifier.
async function all() {
  let passed = 0;
  let failed = 0;
  const run = async (name, fn) => {
    try {
      await fn();
      passed += 1;
    } catch (e) {
      failed += 1;
      console.error(`browser test "${name}" FAILED: ${e.stack || e}`);
    }
  };
  await run('UI journey', main);
  if (process.env.UWITTER_NOTIFIER_BIN) {
    await run('live notifications', async () => (await import('./notify.mjs')).runNotifyTest());
    await run('notifier failover', async () => (await import('./failover.mjs')).runFailoverTest());
  } else {
    console.log('live-notification browser test not run (UWITTER_NOTIFIER_BIN is not set)');
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

all();
