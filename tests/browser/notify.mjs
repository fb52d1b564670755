// Browser test of live notifications: a real uwitter-notifier beside a real
// uwitter-web; bob (following alice) has his home page open, alice posts in her
// own browser, and bob sees the uweet appear as a toast with an unread badge
// without reloading; a uweet that mentions him (he follows its author) makes
// exactly one toast, the mention. Then the notifier is stopped: bob's page says live
// notifications are unavailable and posting still works. On the way: alice
// deletes a uweet bob's open page shows (it drops it live), edits her display
// name and bio, and changes her password (her second browser is logged out);
// carol deletes her account (bob's open page drops her uweets live).
//
//   UWITTER_WEB_BIN=... UWITTER_NOTIFIER_BIN=... node tests/browser/notify.mjs
//
// run.mjs may `import { runNotifyTest } from './notify.mjs'` and await it;
// run directly, it runs itself. Screenshots go to $UWITTER_ARTIFACTS.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const WEB = process.env.UWITTER_WEB_BIN;
const NOTIFIER = process.env.UWITTER_NOTIFIER_BIN;
const ARTIFACTS = resolve(process.env.UWITTER_ARTIFACTS || 'artifacts');
const CHROMIUM = process.env.UWITTER_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Starts a daemon; resolves with { proto: 'HOST:PORT' } once it printed `count` listening lines.
function start(bin, args, count) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const ready = new Promise((res, rej) => {
    const seen = {};
    const timer = setTimeout(() => rej(new Error(`${bin} not listening within 20 s\n${stderr}`)), 20000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening (\S+) (\S+:\d+)/.exec(line);
      if (!m) return;
      seen[m[1]] = m[2];
      if (Object.keys(seen).length === count) { clearTimeout(timer); res(seen); }
    });
    child.on('exit', (code, sig) => { clearTimeout(timer); rej(new Error(`${bin} exited early (${code ?? sig})\n${stderr}`)); });
  });
  return { bin, child, ready, stderr: () => stderr };
}

// SIGTERM (SIGKILL after 5 s); resolves with '' if the daemon exited 0, else a
// description with the end of its stderr. A daemon that died before it was told
// to stop, a hang, or (in the sanitizer build) a leak or memory error all make
// the exit status non-zero.
function stop(p) {
  const verdict = () => {
    const { exitCode: code, signalCode: sig } = p.child;
    return code === 0 ? '' : `${p.bin} exited with ${code ?? sig}${p.killed ? ' (killed after 5 s)' : ''}\n${p.stderr().slice(-4000)}`;
  };
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve(verdict());
  return new Promise((res) => {
    const timer = setTimeout(() => { p.killed = true; p.child.kill('SIGKILL'); }, 5000);
    p.child.once('exit', () => { clearTimeout(timer); res(verdict()); });
    p.child.kill('SIGTERM');
  });
}

async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Shared with failover.mjs.
export { check, start, stop, until, CHROMIUM, ARGS, ARTIFACTS };

export async function runNotifyTest() {
  check(WEB && NOTIFIER, 'UWITTER_WEB_BIN and UWITTER_NOTIFIER_BIN must be set');
  mkdirSync(ARTIFACTS, { recursive: true });
  const temps = [];
  const temp = (p) => { const d = mkdtempSync(join(tmpdir(), p)); temps.push(d); return d; };
  const data = temp('uwitter-notify-data-');
  const procs = [];
  const exits = [];
  const contexts = [];
  try {
    // The notifier first (its ports go to the web app), then the web app, then
    // the notifier again on the same ports with the web app's origin allowed.
    // UWITTER_DB_NOTIFY: a PostgreSQL database for both daemons (the
    // browser-postgres run, tests/with_postgres.cpp), else the SQLite file.
    const db = process.env.UWITTER_DB_NOTIFY || join(data, 'uwitter.db');
    const notifierArgs = (udp, http, origin) => ['--listen-udp', udp, '--listen-http', http,
      '--db', db, '--trust', join(data, 'keys', 'uwitter.pub'), '--cors-origin', origin];
    let n = start(NOTIFIER, notifierArgs('127.0.0.1:0', '127.0.0.1:0', 'http://invalid'), 2);
    procs.push(n);
    const nl = await n.ready;
    const w = start(WEB, ['--listen', '127.0.0.1:0', '--data', data, '--db', db, '--notify', nl.udp,
      '--notifier-url', `http://${nl.http}`], 1);
    procs.push(w);
    const base = `http://${(await w.ready).http}`;
    const first = await stop(n);
    check(first === '', `the first notifier did not stop cleanly: ${first}`);
    n = start(NOTIFIER, notifierArgs(nl.udp, nl.http, base), 2);
    procs.push(n);
    await n.ready;
    await until(async () => {
      const m = await (await fetch(`http://${nl.http}/metrics`)).text();
      return /uwitter_notifier_trusted_keys 1/.test(m);
    }, 'the notifier to trust the web app key');

    const person = async (name) => {
      const context = await chromium.launchPersistentContext(temp(`uwitter-notify-${name}-`), {
        executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1000, height: 700 } });
      contexts.push(context);
      context.setDefaultTimeout(15000);
      const page = context.pages()[0] || await context.newPage();
      const problems = [];
      const trace = [];
      page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
      page.on('console', (m) => trace.push(`console ${m.type()}: ${m.text()}`));
      page.on('requestfailed', (r) => trace.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      page.on('response', (r) => { if (r.url().includes('/events')) trace.push(`response ${r.status()} ${r.url()}`); });
      await page.goto(`${base}/accounts/register`);
      await page.fill('#username', name);
      await page.fill('#password', `${name}-password`);
      await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/accounts/register"] button[type=submit]')]);
      return { name, page, problems, trace };
    };
    const alice = await person('alice');
    const bob = await person('bob');
    await bob.page.goto(`${base}/u/alice`);
    await Promise.all([bob.page.waitForURL(`${base}/u/alice`), bob.page.click('form[action="/follow/alice"] button')]);

    // Bob on his home page, connected live.
    await bob.page.goto(`${base}/`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection')
      .catch((e) => { throw new Error(`${e.message}\n${bob.trace.join('\n')}\nnotifier (exit: ${n.child.exitCode ?? n.child.signalCode ?? 'still running'}) stderr:\n${n.stderr()}`); });

    await alice.page.fill('#uweet-text', 'Live from Alice <i>now</i>');
    await Promise.all([alice.page.waitForURL(`${base}/`), alice.page.click('form[action="/post"] button[type=submit]')]);

    const toast = bob.page.locator('.notif-toast', { hasText: 'Live from Alice <i>now</i>' });
    await toast.waitFor({ state: 'visible', timeout: 10000 });
    check((await toast.locator('a').textContent()) === '@alice', 'toast does not name @alice');
    check((await bob.page.textContent('#notif-badge')) === '1', 'unread badge is not 1');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'notify-toast.png') });

    // Bob follows alice and she mentions him: one toast (the mention), not a
    // uweet toast beside it. Every toast the page adds is recorded (they fade
    // after 8 s); a later uweet of alice's is the marker that whatever the
    // mention's uweet brought has arrived.
    await bob.page.evaluate(() => {
      window.__toasts = [];
      new MutationObserver((records) => {
        for (const r of records) for (const el of r.addedNodes) window.__toasts.push({ cls: el.className, text: el.textContent });
      }).observe(document.getElementById('notif-toasts'), { childList: true });
    });
    const post = async (text) => {
      await alice.page.fill('#uweet-text', text);
      await Promise.all([alice.page.waitForURL(`${base}/`), alice.page.click('form[action="/post"] button[type=submit]')]);
    };
    await post('Hello @bob, this one is for you');
    await post('Marker after the mention');
    const recorded = () => bob.page.evaluate(() => window.__toasts);
    await until(async () => (await recorded()).some((t) => t.text.includes('Marker after the mention')),
      'the marker toast after the mention');
    const forMention = (await recorded()).filter((t) => t.text.includes('this one is for you'));
    check(forMention.length === 1, `a mentioned follower got ${forMention.length} toasts for one uweet: ${JSON.stringify(forMention)}`);
    check(forMention[0].cls.includes('notif-mention'), `the one toast is not the mention: ${forMention[0].cls}`);
    check((await bob.page.textContent('#notif-badge')) === '3', 'unread badge is not 3 (uweet, mention, marker)');

    // On /notifications the stored list is rendered by the server and the
    // live stream adds a new one on top; after a reload it is a stored entry.
    await bob.page.goto(`${base}/notifications`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection on /notifications');
    check(await bob.page.locator('#notif-items li.notif-mention', { hasText: 'this one is for you' }).count() === 1,
      'the stored mention is not on /notifications');
    await post('Live onto the list');
    await until(async () => (await bob.page.locator('#notif-items li.live', { hasText: 'Live onto the list' }).count()) === 1,
      'the live notification on top of the stored list');
    check((await bob.page.locator('#notif-items li').first().textContent()).includes('Live onto the list'),
      'the live notification is not on top');
    await bob.page.reload();
    check(await bob.page.locator('#notif-items li.notif-uweet:not(.live)', { hasText: 'Live onto the list' }).count() === 1,
      'the live notification is not stored');

    // Alice deletes a uweet bob's open page shows: his page drops it live.
    await post('A uweet alice will take back');
    await bob.page.goto(`${base}/`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection again');
    const shown = bob.page.locator('.uweet', { hasText: 'A uweet alice will take back' });
    check(await shown.count() === 1, 'bob\'s home page does not show the uweet alice will delete');
    const uweetId = (await shown.getAttribute('id')).replace('uweet-', '');
    await alice.page.goto(`${base}/`);
    await Promise.all([alice.page.waitForURL(`${base}/delete/${uweetId}`),
      alice.page.click(`#uweet-${uweetId} a.delete`)]);
    check((await alice.page.textContent('h1')).includes('Delete this uweet?'), 'no confirmation page');
    await Promise.all([alice.page.waitForURL(`${base}/u/alice`), alice.page.click(`form[action="/delete/${uweetId}"] button`)]);
    check(await alice.page.locator(`#uweet-${uweetId}`).count() === 0, 'the deleted uweet is still on alice\'s profile');
    await until(async () => (await bob.page.locator(`#uweet-${uweetId}`).count()) === 0,
      'bob\'s open page to drop the deleted uweet');
    await bob.page.reload();
    check(await bob.page.locator(`#uweet-${uweetId}`).count() === 0, 'the deleted uweet came back on reload');

    // Alice edits her bio; her profile and her uweets show it, escaped.
    await alice.page.goto(`${base}/settings`);
    await alice.page.fill('#display_name', 'Alice <A.>');
    await alice.page.fill('#bio', 'Tea & <b>cake</b>');
    await Promise.all([alice.page.waitForURL(`${base}/settings?saved=1`), alice.page.click('form[action="/settings/profile"] button')]);
    await bob.page.goto(`${base}/u/alice`);
    check((await bob.page.textContent('.profile .bio')) === 'Tea & <b>cake</b>', 'the bio is not shown as typed');
    check((await bob.page.textContent('.uweet .display-name')) === 'Alice <A.>', 'no display name beside her uweets');

    // Alice logged in in a second browser; she changes her password in the
    // first: the second is logged out, the first stays logged in.
    const second = await chromium.launchPersistentContext(temp('uwitter-notify-alice2-'), {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1000, height: 700 } });
    contexts.push(second);
    second.setDefaultTimeout(15000);
    const page2 = second.pages()[0] || await second.newPage();
    await page2.goto(`${base}/accounts/login`);
    await page2.fill('#username', 'alice');
    await page2.fill('#password', 'alice-password');
    await Promise.all([page2.waitForURL(`${base}/`), page2.click('form[action="/accounts/login"] button[type=submit]')]);
    check(await page2.locator('a.me').count() === 1, 'the second browser did not log in');
    await alice.page.goto(`${base}/settings`);
    await alice.page.fill('#current_password', 'alice-password');
    await alice.page.fill('#new_password', 'alice-new-password');
    await alice.page.fill('#new_password_again', 'alice-new-password');
    await Promise.all([alice.page.waitForURL(`${base}/settings?password=changed`),
      alice.page.click('form[action="/settings/password"] button')]);
    await page2.reload();
    check(await page2.locator('a.me').count() === 0, 'the second browser is still logged in after the password change');
    await alice.page.goto(`${base}/`);
    check(await alice.page.locator('a.me').count() === 1, 'the browser that changed the password was logged out');
    await bob.page.goto(`${base}/`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection, home again');

    // Carol signs up, posts, bob follows her; then she deletes her account
    // (confirmation and password, no JavaScript needed): bob's open page drops
    // her uweets live, a reload does not bring them back, her name is reserved.
    const carol = await person('carol');
    await carol.page.fill('#uweet-text', 'Carol was briefly here');
    await Promise.all([carol.page.waitForURL(`${base}/`), carol.page.click('form[action="/post"] button[type=submit]')]);
    await bob.page.goto(`${base}/u/carol`);
    await Promise.all([bob.page.waitForURL(`${base}/u/carol`), bob.page.click('form[action="/follow/carol"] button')]);
    await bob.page.goto(`${base}/`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection before carol leaves');
    const hers = bob.page.locator('.uweet', { hasText: 'Carol was briefly here' });
    check(await hers.count() === 1, 'bob\'s home page does not show carol\'s uweet');
    await carol.page.goto(`${base}/settings`);
    await Promise.all([carol.page.waitForURL(`${base}/settings/delete`), carol.page.click('a[href="/settings/delete"]')]);
    await carol.page.fill('#password', 'carol-password');
    await carol.page.check('input[name="confirm"]');
    await carol.page.click('form[action="/settings/delete"] button[type=submit]');
    await carol.page.waitForSelector('h1:has-text("Your account is deleted")');
    check(await carol.page.locator('a.me').count() === 0, 'carol is still logged in after deleting her account');
    await until(async () => (await hers.count()) === 0, 'bob\'s open page to drop the uweets of the deleted account');
    await bob.page.reload();
    check(await hers.count() === 0, 'the deleted account\'s uweet came back on reload');
    check((await bob.page.goto(`${base}/u/carol`)).status() === 404, 'the deleted account\'s profile is not 404');
    await carol.page.goto(`${base}/accounts/register`);
    await carol.page.fill('#username', 'carol');
    await carol.page.fill('#password', 'carol-password');
    await carol.page.click('form[action="/accounts/register"] button[type=submit]');
    await carol.page.waitForSelector('p.error');
    check((await carol.page.textContent('p.error')).includes('registered again after'), 'the deleted name is not reserved');
    await bob.page.goto(`${base}/`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'live', 'bob\'s live connection after carol left');

    // The notifier goes away: the page says so, and the web app works as before.
    const gone = await stop(n);
    check(gone === '', `the notifier did not stop cleanly: ${gone}`);
    await until(async () => (await bob.page.getAttribute('#notif', 'data-state')) === 'unavailable',
      'the page to say notifications are unavailable');
    check((await bob.page.textContent('#notif')).includes('unavailable'), 'no "unavailable" notice');
    await bob.page.fill('#uweet-text', 'Still posting while the notifier is down');
    await Promise.all([bob.page.waitForURL(`${base}/`), bob.page.click('form[action="/post"] button[type=submit]')]);
    check(await bob.page.locator('.uweet', { hasText: 'Still posting while the notifier is down' }).count() === 1,
      'posting failed while the notifier was down');
    await bob.page.screenshot({ path: join(ARTIFACTS, 'notify-unavailable.png') });
    const problems = [...alice.problems, ...bob.problems, ...carol.problems];
    check(problems.length === 0, `page errors:\n${problems.join('\n')}`);
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    for (const p of procs) exits.push(await stop(p));
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  }
  const bad = exits.filter((e) => e !== '');
  check(bad.length === 0, `a daemon did not exit cleanly:\n${bad.join('\n')}`);
  console.log('browser notify: 1 passed, 0 failed');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runNotifyTest().catch((e) => {
    console.error(`browser notify test FAILED: ${e.stack || e}`);
    console.log('browser notify: 0 passed, 1 failed');
    process.exit(1);
  });
}
