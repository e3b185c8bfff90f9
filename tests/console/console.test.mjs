// console.test.mjs - the web console in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core from the build directory's npm tools), against the real server
// with the demo data, started as `make run` starts it (the admin token generated and printed,
// the console's address printed), following the README's "From clone to an approved
// withdrawal": sign in with the printed token, see the dashboard, approve and pay a withdrawal
// in the review queue, see the customer's balance change. Then the FX screens after a
// YabandPay TOD and SPOT deal made through the API (bodies signed by `fundgate sign
// yabandpay`): the deals, one deal with its ledger legs, the positions, the rates; the
// server's clock (--test-clock) moved to the SPOT deal's value date and "Settle now" pressed
// on it: settled, with its three legs. Then the outbox: a WorldFirst FORWARD deal (signed by
// `fundgate sign worldfirst` with the demo client key) for a client whose notify_url nothing
// listens on; the clock moved to its value date: settled, its notification tried and failed,
// pending with its error on the Outbox screen, its body on its page; the clock moved through
// the whole schedule: dead; Retry: pending again; the client's notify_url fixed to a receiver
// here, Retry on the pending row: delivered, the receiver got the body shown. No console error
// (a Content-Security-Policy violation is one) on the way. Writes screenshots of the
// dashboard, the review queue, the settled FX deal and the outbox into $FG_SCREENSHOT_DIR
// (make console-screenshot: docs/).
//
// Environment: FUNDGATE_BIN, FUNDGATE_EXAMPLES, FG_NPM_DIR (set by CTest).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(path.resolve(process.env.FG_NPM_DIR, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

const BIN = process.env.FUNDGATE_BIN;
const SECRET = 'demo-app1-jwt-secret-not-for-production';
const YB_USER = '016683';
const YB_SECRET = 'demo-yabandpay-secret-016683';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// `make run`'s command (fundgate serve --bootstrap examples/demo.json --listen ...) on a free
// port, in a fresh data directory, with --test-clock. Resolves once it printed the console's
// address: { srv, base, token, consoleUrl }.
function startServer(dir) {
  return new Promise((resolve, reject) => {
    const srv = spawn(BIN, ['serve', '--bootstrap', path.join(process.env.FUNDGATE_EXAMPLES, 'demo.json'),
      '--listen', '127.0.0.1:0', '--data', dir, '--test-clock'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + out)), 30000);
    srv.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      const t = /admin token \(generated, printed this once\): (\S+)\n/.exec(out);
      const c = /console: (\S+)\n/.exec(out);
      if (m && t && c) { clearTimeout(timer); resolve({ srv, base: m[1], token: t[1], consoleUrl: c[1] }); }
    });
    srv.on('exit', (code) => reject(new Error('server exited ' + code)));
  });
}

async function createWithdrawal(base) {
  const tok = execFileSync(BIN, ['token', '--app', 'app1', '--user', 'dave', '--secret', SECRET]).toString().trim();
  const resp = await fetch(base + '/order/v2/create', {
    method: 'POST', headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/json' },
    body: JSON.stringify({ request_id: 'console-1', uuid: 'c4', account_type: 'wallet', currency: 'USD', amount: '100.00',
      operation_mode_id: 1, source: 'app', client_bank_id: 'b4' }),
  });
  const j = await resp.json();
  assert.equal(j.code, 0, JSON.stringify(j));
  return j.data.order_serial;
}

async function accountText(page, id) {
  return (await page.locator(id).textContent()).trim();
}

// A YabandPay request signed by `fundgate sign yabandpay` (which adds "time" and "sign").
async function yabandpay(base, method, data) {
  const body = execFileSync(BIN, ['sign', 'yabandpay', '--secret', YB_SECRET, '-'],
    { input: JSON.stringify({ user: YB_USER, method, data }) }).toString();
  const j = await (await fetch(base + '/Payments', { method: 'POST', body })).json();
  assert.equal(j.code, '200', JSON.stringify(j));
  return j.data;
}

// Quote and execute: c1 sells USD for EUR (amount in `currency`); the trade.
async function fxDeal(base, tenor, currency, amount, id) {
  const q = await yabandpay(base, 'v3.GetFXQuote', { sell_currency: 'USD', buy_currency: 'EUR', currency, amount, tenor,
    request_id: 'q-' + id });
  return yabandpay(base, 'v3.ExecuteFXOrder', { order_id: 'o-' + id, quote_id: q.quote_id, request_id: 'e-' + id });
}

async function admin(base, token, method, p, body) {
  const resp = await fetch(base + p, { method, headers: { Authorization: 'Bearer ' + token },
    body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(resp.status === 200 || resp.status === 201, p + ': ' + await resp.clone().text());
  return resp.json();
}

async function cellTexts(row) {
  return (await row.locator('td').allTextContents()).map((t) => t.trim());
}

// The FX screens: a TOD deal (settled at once) and a SPOT deal (pending until its value date).
async function fxScreens(page, base, token, shots) {
  const tod = await fxDeal(base, 'TOD', 'USD', 1000, 'console-tod');
  const spot = await fxDeal(base, 'SPOT', 'EUR', '500.00', 'console-spot');
  assert.equal(tod.settlement_status, 'settled');
  assert.equal(spot.settlement_status, 'pending');

  // FX deals: both, in the order they were made; the filter by state.
  await page.click('nav >> text=FX deals');
  const todRow = page.locator(`tr[data-trade="${tod.trade_id}"]`);
  const spotRow = page.locator(`tr[data-trade="${spot.trade_id}"]`);
  await spotRow.waitFor();
  assert.deepEqual((await cellTexts(todRow)).slice(4), ['1000.00 USD', '920.81 EUR', '0.920810313075506445', 'TOD',
    tod.value_date, 'settled']);
  assert.deepEqual((await cellTexts(spotRow)).slice(4, 6), ['543.00 USD', '500.00 EUR']);
  assert.equal((await cellTexts(spotRow))[9], 'pending');
  await page.selectOption('select[name=state]', 'pending');
  await page.waitForURL(/#\/fx\?state=pending$/);
  // The filtered list replaces the table: wait for the settled row to go (a count taken right
  // after the URL changed could still see the old table on a busy machine), then the pending one.
  await todRow.waitFor({ state: 'detached' });
  await spotRow.waitFor();
  assert.equal(await todRow.count(), 0);

  // Positions: the house bought 1000.00 USD and sold 920.81 EUR; 543.00 USD and 500.00 EUR
  // wait for the SPOT deal's value date.
  await page.click('nav >> text=FX positions');
  const eur = page.locator('tr[data-currency=EUR]');
  await eur.waitFor();
  assert.deepEqual((await cellTexts(eur)).slice(0, 5), ['EUR', '-920.81', '0.00', '500.00', '-1420.81']);
  assert.deepEqual((await cellTexts(page.locator('tr[data-currency=USD]'))).slice(0, 5),
    ['USD', '1000.00', '543.00', '0.00', '1543.00']);

  // Rates: the demo's pairs, fresh.
  await page.click('nav >> text=FX rates');
  const eurusd = page.locator('tr[data-pair="EUR/USD"]');
  await eurusd.waitFor();
  assert.deepEqual((await cellTexts(eurusd)).slice(0, 4), ['EUR/USD', '1.085', '1.086', '1.0855']);
  assert.equal((await cellTexts(eurusd))[5], 'yes');

  // The SPOT deal: its hold; then its value date comes and "Settle now" settles it (the
  // server's own sweep, every second, may be first: then the button finds nothing due).
  await page.click('nav >> text=FX deals');
  await spotRow.locator('a').first().click();
  await page.waitForSelector('#deal-state');
  assert.equal(await accountText(page, '#deal-state'), 'pending');
  assert.equal(await page.locator('h2:has-text("Ledger legs") + table tbody tr').count(), 1);
  await admin(base, token, 'POST', '/admin/v1/test/clock', { now_ms: Date.parse(spot.value_date + 'T12:00:00Z') });
  await page.click('#settle-now');
  await page.waitForSelector('#flash:has-text("Settlement sweep:")');
  assert.match(await accountText(page, '#flash'), /^Settlement sweep: [01] settled, 0 failed, 0 deferred/);
  await page.waitForSelector('#deal-state:has-text("settled")');
  const legs = page.locator('h2:has-text("Ledger legs") + table tbody tr');
  assert.equal(await legs.count(), 3);
  assert.match((await cellTexts(legs.nth(0)))[4], /pending \(posted\)/);
  assert.equal((await cellTexts(legs.nth(2)))[3], '500.00 EUR');
  if (shots) await page.screenshot({ path: path.join(shots, 'console-fx-deal.png') });

  // Positions after settlement: nothing incoming or outgoing is left.
  await page.click('nav >> text=FX positions');
  await eur.waitFor();
  assert.deepEqual((await cellTexts(eur)).slice(0, 5), ['EUR', '-1420.81', '0.00', '0.00', '-1420.81']);
  const rec = await admin(base, token, 'GET', '/admin/v1/reconcile');
  assert.equal(rec.ok, true);
  return Date.parse(spot.value_date + 'T12:00:00Z');
}

// --- the outbox ---------------------------------------------------------------------------

const WF_API = '/amsin/api/v1/business/fund/';
const WF_KEY = () => path.join(process.env.FUNDGATE_EXAMPLES, 'worldfirst-demo-client-key.pem');
const MIN_MS = 60000;
const DAY_MS = 24 * 60 * MIN_MS;

// A WorldFirst request as client `client`, signed by `fundgate sign worldfirst` at the
// server's (test) clock `now` (request-time in epoch milliseconds); the answer's JSON.
async function worldfirst(base, client, api, body, now) {
  const text = JSON.stringify(body);
  const lines = execFileSync(BIN, ['sign', 'worldfirst', '--key', WF_KEY(), '--client-id', client, '--uri', WF_API + api,
    '--time', String(now), '-'], { input: text }).toString().trim().split('\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  return (await fetch(base + WF_API + api, { method: 'POST', headers, body: text })).json();
}

// The client console-wf: the demo client's key, its customer CON-ALICE is c1, notified at url.
async function wfClient(base, token, url) {
  const pub = execFileSync('openssl', ['pkey', '-in', WF_KEY(), '-pubout']).toString();
  await admin(base, token, 'POST', '/admin/v1/clients', { family: 'worldfirst', client_id: 'console-wf',
    public_keys: { 1: pub }, customers: { 'CON-ALICE': 'c1' }, notify_url: url });
}

// A port nothing listens on: one the kernel gave and took back.
async function closedPort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// A receiver that acknowledges every notification and keeps what it got.
async function receiver() {
  const got = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.setHeader('Content-Type', 'application/json');
      res.end('{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}');
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { srv, got, url: `http://127.0.0.1:${srv.address().port}/wf/notify` };
}

// A REALTIME FORWARD for CON-ALICE: sell 100.00 USD for EUR on the first business day after
// now's day that both calendars have. The answer (PROCESSING).
async function wfForward(base, now) {
  for (let d = 1; d <= 10; d++) {
    const valueDate = new Date(now + d * DAY_MS).toISOString().slice(0, 10);
    const x = await worldfirst(base, 'console-wf', 'createExchange', { customerId: 'CON-ALICE',
      exchangeRequestId: 'console-fwd-' + d, exchangeMode: 'REALTIME', exchangeTradeType: 'FORWARD',
      sell: { currency: 'USD', value: 10000 }, buy: { currency: 'EUR' }, exchangeForwardInfo: { valueDate } }, now);
    if (x.result.resultCode === 'PROCESSING') return { x, valueDate };
    assert.equal(x.result.resultCode, 'UN_SUPPORT_BUSINESS', JSON.stringify(x));
  }
  throw new Error('no value date for a FORWARD in 10 days');
}

// Polls the admin plane until notification id has `tries` tries and `status`; the row.
async function outboxWait(base, token, id, tries, status) {
  let row;
  for (let i = 0; i < 200; i++) {
    const page = await admin(base, token, 'GET', `/admin/v1/outbox?after=${id - 1}&limit=1`);
    row = page.notifications[0];
    if (row && row.id === id && row.tries === tries && row.status === status) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`notification ${id}: never ${tries} tries, ${status}: ${JSON.stringify(row)}`);
}

async function setClock(base, token, ms) { await admin(base, token, 'POST', '/admin/v1/test/clock', { now_ms: ms }); }

// Notification id's row on the Outbox screen, once it shows `status` (the screen before a
// filter's page arrives may show the row too).
async function outboxRow(page, id, status) {
  const row = page.locator(`tr[data-id="${id}"][data-status="${status}"]`);
  await row.waitFor();
  const c = await cellTexts(row);
  return { row, id: c[0], exchange: c[2], client: c[3], status: c[4], tries: c[5], next: c[6], error: c[7], done: c[8] };
}

async function outboxScreens(page, base, token, shots, now) {
  const rcv = await receiver();
  try {
    return await outboxDeliveries(page, base, token, shots, now, rcv);
  } finally {
    rcv.srv.close();
  }
}

async function outboxDeliveries(page, base, token, shots, start, rcv) {
  let now = start;
  await wfClient(base, token, `http://127.0.0.1:${await closedPort()}/wf/notify`);
  const { x, valueDate } = await wfForward(base, now);
  // Its value date: the sweep settles it; the notification is tried at once and fails.
  now = Date.parse(valueDate + 'T12:00:00Z');
  await setClock(base, token, now);
  let found;
  for (let i = 0; i < 200 && !found; i++) {
    const all = await admin(base, token, 'GET', '/admin/v1/outbox?limit=1000');
    found = all.notifications.find((n) => n.ref === x.exchangeId && n.tries === 1);
    if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(found, 'no notification tried for ' + x.exchangeId);
  const id = found.id;
  assert.equal(found.status, 'pending');
  assert.equal(found.notification_id, 'wfn-' + x.exchangeId);

  // The Outbox screen: the row pending with its error; the figures from /metrics (the
  // pending gauge is refreshed every second).
  for (let i = 0; i < 100 && !/^fundgate_outbox_pending 1$/m.test(await (await fetch(base + '/metrics')).text()); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await page.click('nav >> text=Outbox');
  await page.selectOption('select[name=status]', 'pending');
  await page.waitForURL(/#\/outbox\?status=pending$/);
  let r = await outboxRow(page, id, 'pending');
  assert.equal(r.id, String(id));
  assert.equal(r.exchange, '…' + x.exchangeId.slice(-12));
  assert.equal(r.client, 'console-wf');
  assert.equal(r.status, 'pending');
  assert.equal(r.tries, '1');
  assert.equal(r.next, new Date(now + 2 * MIN_MS).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
  assert.ok(r.error.length > 0 && r.error === found.last_error, r.error);
  assert.equal(r.done, '');
  assert.equal(await r.row.locator('button[data-action=retry]').count(), 1);
  assert.equal(await accountText(page, '[data-metric=fundgate_outbox_pending]'), '1');
  assert.equal(await accountText(page, '[data-metric=fundgate_outbox_failures_total]'), '1');
  if (shots) await page.screenshot({ path: path.join(shots, 'console-outbox.png') });

  // Its page: the body as sent; the deal it reports, settled.
  await r.row.locator('a').first().click();
  await page.waitForSelector('#notification-body');
  assert.deepEqual(JSON.parse(await page.locator('#notification-body').textContent()), JSON.parse(found.body));
  assert.equal(JSON.parse(found.body).notificationId, 'wfn-' + x.exchangeId);
  await page.locator('a', { hasText: x.exchangeId }).click();
  await page.waitForSelector('#deal-state:has-text("settled")');
  await page.goBack();
  await page.waitForSelector('#notification-status');

  // Through the schedule: each retry fails; after the eighth try, dead.
  const delays = [2, 10, 10, 60, 120, 360, 900].map((m) => m * MIN_MS);
  for (let t = 1; t < 8; t++) {
    now += delays[t - 1];
    await setClock(base, token, now);
    await outboxWait(base, token, id, t + 1, t + 1 < 8 ? 'pending' : 'dead');
  }
  await page.click('nav >> text=Outbox');
  await page.selectOption('select[name=status]', 'dead');
  await page.waitForURL(/#\/outbox\?status=dead$/);
  r = await outboxRow(page, id, 'dead');
  assert.deepEqual([r.status, r.tries, r.next], ['dead', '8', '']);
  assert.equal(r.done, new Date(now).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
  assert.equal(await accountText(page, '[data-metric=fundgate_outbox_dead_total]'), '1');

  // Retry: pending again, tried at once (it fails again: nothing listens yet).
  await r.row.locator('button[data-action=retry]').click();
  await page.waitForSelector(`#flash:has-text("Notification ${id} (wfn-${x.exchangeId}): sent again, now pending")`);
  await page.locator(`tr[data-id="${id}"]`).waitFor({ state: 'detached' });
  await outboxWait(base, token, id, 1, 'pending');
  await page.selectOption('select[name=status]', 'pending');
  r = await outboxRow(page, id, 'pending');
  assert.deepEqual([r.status, r.tries, r.done], ['pending', '1', '']);

  // The client's notify_url fixed; Retry on the pending row: delivered, the body shown is the
  // body the receiver got.
  await wfClient(base, token, rcv.url);
  await r.row.locator('button[data-action=retry]').click();
  await page.waitForSelector(`#flash:has-text("Notification ${id} (wfn-${x.exchangeId}): sent again")`);
  const done = await outboxWait(base, token, id, 1, 'delivered');
  assert.equal(done.last_http, 200);
  await page.selectOption('select[name=status]', 'delivered');
  await page.waitForURL(/#\/outbox\?status=delivered$/);
  r = await outboxRow(page, id, 'delivered');
  assert.deepEqual([r.status, r.tries, r.next], ['delivered', '1', '']);
  assert.equal(await r.row.locator('button').count(), 0);
  assert.equal(rcv.got.length, 1);
  assert.equal(rcv.got[0].body, found.body);
  assert.equal(rcv.got[0].headers['client-id'], 'console-wf');
  return x.exchangeId;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fg-console-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'fg-chromium-'));
  const { srv, base, token: TOKEN, consoleUrl } = await startServer(dir);
  const problems = [];
  let ctx;
  try {
    const serial = await createWithdrawal(base);
    const head = await fetch(base + '/console/');
    assert.match(head.headers.get('content-security-policy'), /script-src 'self'/);
    assert.match(head.headers.get('content-security-policy'), /default-src 'none'/);

    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, viewport: { width: 1280, height: 860 },
    });
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
    page.on('request', (r) => { if (!r.url().startsWith(base)) problems.push('request elsewhere: ' + r.url()); });

    // The address and the token as `make run` prints them; the token is the data directory's.
    assert.equal(consoleUrl, base + '/console/');
    assert.equal(readFileSync(path.join(dir, 'admin-token'), 'utf8').trim(), TOKEN);

    // Sign in: the token goes to session storage, never into the URL.
    await page.goto(consoleUrl);
    await page.fill('#token', TOKEN);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#reconcile-status');
    assert.equal(await accountText(page, '#reconcile-status'), 'balanced');
    assert.ok(!page.url().includes(TOKEN), 'token in the URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fundgate.admin_token')), TOKEN);
    await page.waitForSelector('svg.chart');
    await page.waitForTimeout(5600); // a second /metrics sample draws the rate line
    await page.waitForSelector('svg.chart polyline');
    assert.equal(await accountText(page, '#dash-outbox'), '0');
    const shots = process.env.FG_SCREENSHOT_DIR;
    if (shots) await page.screenshot({ path: path.join(shots, 'console-dashboard.png') });

    // The customer's wallet before: the order holds 100.00 (available drops, balance not yet).
    await page.goto(base + '/console/#/customer/c4');
    await page.locator('tr', { hasText: 'wallet' }).filter({ hasText: 'USD' }).locator('a').first().click();
    await page.waitForSelector('#account-balance');
    const accountUrl = page.url();
    assert.equal(await accountText(page, '#account-balance'), '2000.00');
    assert.equal(await accountText(page, '#account-available'), '1900.00');

    // Approve, then pay, in the review queue.
    await page.click('nav >> text=Withdrawals');
    const row = page.locator(`tr[data-serial="${serial}"]`);
    await row.waitFor();
    if (shots) await page.screenshot({ path: path.join(shots, 'console-withdrawals.png') });
    await row.locator('button[data-action=approve]').click();
    await page.waitForSelector(`#flash:has-text("${serial}: approve done")`);
    await page.selectOption('select[aria-label=status]', 'approved');
    await page.locator(`tr[data-serial="${serial}"] button[data-action=paid]`).click();
    await page.waitForSelector(`#flash:has-text("${serial}: paid done")`);

    // The balance changed: 100.00 left the wallet. Reached as the README says: Customers,
    // c4, the USD wallet; its history shows the hold and its post.
    await page.click('nav >> text=Customers');
    await page.locator('a', { hasText: /^c4$/ }).click();
    await page.locator('tr', { hasText: 'wallet' }).filter({ hasText: 'USD' }).locator('a').first().click();
    await page.waitForSelector('#account-balance');
    assert.equal(page.url(), accountUrl);
    assert.equal(await accountText(page, '#account-balance'), '1900.00');
    assert.equal(await accountText(page, '#account-available'), '1900.00');
    const types = await page.locator('h2:has-text("History") + table tbody tr td:nth-child(4)').allTextContents();
    assert.deepEqual(types.slice(-2), ['pending', 'post']);
    await page.click('nav >> text=TradeBoss');
    await page.waitForSelector('h1:has-text("TradeBoss")');
    await page.click('nav >> text=Audit');
    await page.waitForSelector(`td:has-text("${serial}")`);

    const clock = await fxScreens(page, base, TOKEN, shots);
    const exchangeId = await outboxScreens(page, base, TOKEN, shots, clock);

    // Signing out forgets the token.
    await page.click('#signout');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fundgate.admin_token')), null);
    assert.deepEqual(problems, []);
    console.log('console: signed in, approved and paid ' + serial + ', balance 2000.00 -> 1900.00; ' +
      'FX deals, positions and rates shown, a SPOT deal settled with "Settle now"; the notification of ' +
      `WorldFirst FORWARD ${exchangeId} pending, dead, retried and delivered in the outbox`);
    console.log('1 passed, 0 failed');
  } finally {
    if (ctx) await ctx.close();
    srv.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e.stack || String(e)); console.log('0 passed, 1 failed'); process.exit(1); });
