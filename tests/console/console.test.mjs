// console.test.mjs - the web console in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core from the build directory's npm tools), against the real server
// with the demo data, following the README's "From clone to an approved withdrawal": sign in
// with the admin token, see the dashboard, approve and pay a
// withdrawal in the review queue, see the customer's balance change, and no console error
// (a Content-Security-Policy violation is one) on the way. Writes a screenshot of the
// dashboard and of the review queue into $FG_SCREENSHOT_DIR (make console-screenshot: docs/).
//
// Environment: FUNDGATE_BIN, FUNDGATE_EXAMPLES, FG_NPM_DIR (set by CTest).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(path.resolve(process.env.FG_NPM_DIR, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

const BIN = process.env.FUNDGATE_BIN;
const TOKEN = 'console-test-admin-token';
const SECRET = 'demo-app1-jwt-secret-not-for-production';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function startServer(dir) {
  return new Promise((resolve, reject) => {
    const srv = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dir, '--admin-token', TOKEN,
      '--bootstrap', path.join(process.env.FUNDGATE_EXAMPLES, 'demo.json')], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + out)), 30000);
    srv.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ srv, base: m[1] }); }
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

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fg-console-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'fg-chromium-'));
  const { srv, base } = await startServer(dir);
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

    // Sign in: the token goes to session storage, never into the URL.
    await page.goto(base + '/console/');
    await page.fill('#token', TOKEN);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#reconcile-status');
    assert.equal(await accountText(page, '#reconcile-status'), 'balanced');
    assert.ok(!page.url().includes(TOKEN), 'token in the URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fundgate.admin_token')), TOKEN);
    await page.waitForSelector('svg.chart');
    await page.waitForTimeout(5600); // a second /metrics sample draws the rate line
    await page.waitForSelector('svg.chart polyline');
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

    // The balance changed: 100.00 left the wallet.
    await page.goto(accountUrl);
    await page.waitForSelector('#account-balance');
    assert.equal(await accountText(page, '#account-balance'), '1900.00');
    assert.equal(await accountText(page, '#account-available'), '1900.00');
    await page.click('nav >> text=TradeBoss');
    await page.waitForSelector('h1:has-text("TradeBoss")');
    await page.click('nav >> text=Audit');
    await page.waitForSelector(`td:has-text("${serial}")`);

    // Signing out forgets the token.
    await page.click('#signout');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fundgate.admin_token')), null);
    assert.deepEqual(problems, []);
    console.log('console: signed in, approved and paid ' + serial + ', balance 2000.00 -> 1900.00');
    console.log('1 passed, 0 failed');
  } finally {
    if (ctx) await ctx.close();
    srv.kill('SIGTERM');
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e.stack || String(e)); console.log('0 passed, 1 failed'); process.exit(1); });
