// fundgate console: plain JavaScript, no framework, nothing loaded from elsewhere.
//
// The admin token lives in this tab's sessionStorage and goes out only as
// "Authorization: Bearer ..." on calls to the admin plane; it never appears in
// a URL. Views are sections in one table (SECTIONS): adding one is one entry
// and a render function. Pages are built with DOM calls and textContent, never
// innerHTML, so nothing an API returns can become markup.
'use strict';

const TOKEN_KEY = 'fundgate.admin_token';
const PAGE = 20;

// --- small helpers -----------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const NUM_HEADER = /^(balance|available|frozen|amount|debits|credits|fee|net|sold|bought|settled|incoming|outgoing|value \(|bid|ask|mid|age|rate)/;

function table(headers, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { class: NUM_HEADER.test(t) ? 'num' : null }, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'nothing here'))));
}

function td(text, cls) { return h('td', { class: cls }, text); }
function num(text) { return td(text, 'num'); }
function time(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
// "2026-12-02T19:28:44.523Z" (the FX answers' timestamps) as time() writes it.
function stamp(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
function link(hash, text) { return h('a', { href: hash }, text); }

function flash(msg, isError) {
  const el = document.getElementById('flash');
  el.textContent = msg || '';
  el.className = isError ? 'error' : '';
}

// --- the admin plane -----------------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function api(path, opts) {
  const o = opts || {};
  const headers = { Authorization: 'Bearer ' + token() };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method: o.method || 'GET', headers, cache: 'no-store',
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
  if (resp.status === 401) { signOut('The token was refused; sign in again.'); throw new Error('unauthorized'); }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { text }; }
  if (!resp.ok) {
    const err = data && data.error ? data.error : { code: String(resp.status), message: text };
    throw new Error(err.code + ': ' + err.message);
  }
  return data;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

// --- dashboard -------------------------------------------------------------------

const metricsHistory = [];
let metricsTimer = null;

// /metrics as a Map: each series' name to the sum of its values over every label set.
function metricValues(text) {
  const values = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (m) values.set(m[1], (values.get(m[1]) || 0) + Number(m[3]));
  }
  return values;
}

function parseMetrics(text) {
  const v = metricValues(text);
  const get = (name) => v.get(name) || 0;
  return { t: Date.now(), requests: get('fundgate_http_requests_total'),
    sum: get('fundgate_http_request_duration_seconds_sum'), count: get('fundgate_http_request_duration_seconds_count'),
    outbox: v.has('fundgate_outbox_pending') ? { pending: get('fundgate_outbox_pending'),
      oldest: get('fundgate_outbox_oldest_pending_age_seconds') } : null };
}

function sparkline(values) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', '0 0 300 70');
  svg.setAttribute('preserveAspectRatio', 'none');
  const base = document.createElementNS(ns, 'line');
  for (const [k, v] of Object.entries({ x1: 0, y1: 68, x2: 300, y2: 68 })) base.setAttribute(k, v);
  svg.append(base);
  if (values.length > 1) {
    const max = Math.max(...values, 1e-9);
    const pts = values.map((v, i) => `${(i * 300) / (values.length - 1)},${66 - (v / max) * 60}`);
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    svg.append(line);
  }
  return svg;
}

function renderCharts(box) {
  const rates = []; const lat = [];
  for (let i = 1; i < metricsHistory.length; i++) {
    const a = metricsHistory[i - 1]; const b = metricsHistory[i];
    const dt = (b.t - a.t) / 1000; const dc = b.count - a.count;
    rates.push(dt > 0 ? (b.requests - a.requests) / dt : 0);
    lat.push(dc > 0 ? ((b.sum - a.sum) / dc) * 1000 : 0);
  }
  const last = (arr) => (arr.length ? arr[arr.length - 1] : 0);
  box.replaceChildren(
    h('div', { class: 'card' }, h('div', { class: 'chart-label' }, h('span', {}, 'Requests per second'),
      h('strong', { id: 'rate-now' }, last(rates).toFixed(1))), sparkline(rates)),
    h('div', { class: 'card' }, h('div', { class: 'chart-label' }, h('span', {}, 'Mean latency (ms)'),
      h('strong', {}, last(lat).toFixed(2))), sparkline(lat)));
}

// The dashboard's outbox card: notifications waiting and the age of the oldest.
function renderOutboxCard(card, outbox) {
  card.replaceChildren(h('div', { class: 'muted' }, link('#/outbox', 'Outbox'), ': notifications waiting'),
    h('div', { class: 'stat ' + (outbox && !outbox.pending ? 'ok' : ''), id: 'dash-outbox' }, outbox ? outbox.pending : '-'),
    h('div', { class: 'muted' }, outbox && outbox.pending ? `the oldest for ${age(outbox.oldest)}` : 'none waiting'));
}

async function pollMetrics(box, outboxCard) {
  try {
    const resp = await fetch('/metrics', { cache: 'no-store' });
    const sample = parseMetrics(await resp.text());
    metricsHistory.push(sample);
    if (metricsHistory.length > 31) metricsHistory.shift();
    if (document.body.contains(box)) renderCharts(box);
    renderOutboxCard(outboxCard, sample.outbox);
  } catch (e) { /* the next poll tries again */ }
}

async function viewDashboard(view) {
  const [rec, house] = await Promise.all([api('/admin/v1/reconcile'), api('/admin/v1/house-accounts?limit=1000')]);
  const charts = h('div', { class: 'grid', id: 'charts' });
  const outboxCard = h('div', { class: 'card' });
  view.append(
    h('h1', {}, 'Dashboard'),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Reconciliation'),
        h('div', { class: 'stat ' + (rec.ok ? 'ok' : 'bad'), id: 'reconcile-status' }, rec.ok ? 'balanced' : 'VIOLATIONS'),
        h('div', { class: 'muted' }, `${rec.violation_count} violations; ${rec.currencies.length} currencies`)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Transfers in the journal'),
        h('div', { class: 'stat' }, rec.currencies.reduce((n, c) => n + c.transfers, 0))),
      outboxCard),
    h('h2', {}, 'Request rate and latency (from /metrics, every 5 s)'), charts,
    rec.violations.length ? h('ul', { class: 'bad' }, rec.violations.map((v) => h('li', {}, v))) : '',
    h('h2', {}, 'Per currency'),
    table(['currency', 'accounts', 'transfers', 'debits posted', 'credits posted', 'debits pending', 'credits pending', 'balanced'],
      rec.currencies.map((c) => h('tr', {}, td(c.currency), num(c.accounts), num(c.transfers), num(c.debits_posted),
        num(c.credits_posted), num(c.debits_pending), num(c.credits_pending), td(c.balanced ? 'yes' : 'NO', c.balanced ? 'ok' : 'bad')))),
    h('h2', {}, 'House accounts'),
    table(['currency', 'type', 'account', 'balance', 'frozen'],
      house.house_accounts.map((a) => h('tr', {}, td(a.currency), td(a.type), td(link('#/account/' + a.account_id, String(a.account_id))),
        num(a.balance), num(a.frozen)))));
  renderCharts(charts);
  renderOutboxCard(outboxCard, null);
  await pollMetrics(charts, outboxCard);
  clearInterval(metricsTimer);
  metricsTimer = setInterval(() => pollMetrics(charts, outboxCard), 5000);
}

// --- customers and accounts ------------------------------------------------------

async function viewCustomers(view, params) {
  const q = params.get('q') || '';
  const after = params.get('after') || '';
  const data = await api('/admin/v1/customers' + qs({ q, after, limit: PAGE }));
  const input = h('input', { name: 'q', value: q, placeholder: 'uuid, user name or name', 'aria-label': 'search customers' });
  view.append(
    h('h1', {}, 'Customers'),
    h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); location.hash = '#/customers' + qs({ q: input.value }); } },
      input, h('button', { type: 'submit' }, 'Search')),
    table(['uuid', 'user name', 'name', 'app', 'company', 'base', 'status'],
      data.customers.map((c) => h('tr', {}, td(link('#/customer/' + encodeURIComponent(c.uuid), c.uuid)), td(c.user_name), td(c.name),
        td(c.app_id), td(c.company_id), td(c.base_currency), td(c.status)))),
    h('div', { class: 'pager' }, data.next_after ? link('#/customers' + qs({ q, after: data.next_after }), 'Next page') : ''));
}

async function viewCustomer(view, params, uuid) {
  const c = await api('/admin/v1/customers/' + encodeURIComponent(uuid));
  view.append(
    h('h1', {}, `${c.name} (${c.uuid})`),
    h('p', { class: 'muted' }, `user ${c.user_name}, app ${c.app_id || '-'}, company ${c.company_id}, base ${c.base_currency}, ${c.status}`),
    h('h2', {}, 'Accounts'),
    table(['account', 'type', 'currency', 'balance', 'available', 'frozen', 'status'],
      c.accounts.map((a) => h('tr', {}, td(link('#/account/' + a.account_id, String(a.account_id))), td(a.type), td(a.currency),
        num(a.balance), num(a.available), num(a.frozen), td(a.status)))));
}

async function viewAccount(view, params, id) {
  const after = params.get('after') || '0';
  const back = params.get('back') || '';
  const [a, page] = await Promise.all([api('/admin/v1/accounts/' + id),
    api('/admin/v1/transfers' + qs({ account_id: id, after, limit: PAGE }))]);
  const owner = a.uuid === 'house' ? 'house' : link('#/customer/' + encodeURIComponent(a.uuid), a.uuid);
  const backs = back ? back.split(',') : [];
  view.append(
    h('h1', {}, `Account ${a.account_id}: `, owner, ` ${a.type} ${a.currency}`),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Balance'), h('div', { class: 'stat', id: 'account-balance' }, a.balance)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Available'), h('div', { class: 'stat', id: 'account-available' }, a.available)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Frozen (holds)'), h('div', { class: 'stat' }, a.frozen))),
    h('h2', {}, 'History (oldest first)'),
    table(['id', 'time', 'kind', 'type', 'debit', 'credit', 'amount', 'ref'],
      page.transfers.map((t) => h('tr', {}, td(t.id), td(time(t.ts_ms)), td(t.kind), td(t.type),
        td(link('#/account/' + t.debit_account_id, String(t.debit_account_id))),
        td(link('#/account/' + t.credit_account_id, String(t.credit_account_id))),
        num((t.debit_account_id === a.account_id ? '-' : '+') + t.amount), td(t.ref || '')))),
    h('div', { class: 'pager' },
      backs.length ? link('#/account/' + id + qs({ after: backs[backs.length - 1], back: backs.slice(0, -1).join(',') }), 'Previous page') : '',
      page.next_after ? link('#/account/' + id + qs({ after: page.next_after, back: backs.concat([after]).join(',') }), 'Next page') : ''));
}

// --- withdrawals -------------------------------------------------------------------

const WD_STATUSES = ['pending_review', 'approved', 'appealed', 'paid', 'failed', 'rejected', 'cancelled'];

async function act(serial, action, body) {
  try {
    const o = await api(`/admin/v1/withdrawals/${encodeURIComponent(serial)}/${action}`, { method: 'POST', body: body || {} });
    flash(`${serial}: ${action} done, now ${o.status || (o.data && o.data.status) || 'updated'}`);
  } catch (e) {
    flash(`${serial}: ${action} refused: ${e.message}`, true);
  }
  route();
}

function orderActions(o) {
  const reason = h('input', { placeholder: 'reason', 'aria-label': 'reject reason', size: 12 });
  const b = (label, action, cls, body) => h('button', { type: 'button', class: cls, 'data-action': action, onclick: () => act(o.order_serial, action, body && body()) }, label);
  if (o.status === 'pending_review' || o.status === 'appealed') {
    return h('div', { class: 'actions' },
      o.status === 'pending_review' ? b('Approve', 'approve') : b('Reopen', 'reopen', 'secondary'),
      reason, b('Reject', 'reject', 'danger', () => ({ reason: reason.value })));
  }
  if (o.status === 'approved') return h('div', { class: 'actions' }, b('Paid', 'paid'), b('Failed', 'failed', 'danger'));
  return '';
}

async function viewWithdrawals(view, params) {
  const status = params.get('status') || 'pending_review';
  const after = params.get('after') || '';
  const data = await api('/admin/v1/withdrawals' + qs({ status, after, limit: PAGE }));
  const select = h('select', { 'aria-label': 'status', onchange: () => { location.hash = '#/withdrawals' + qs({ status: select.value }); } },
    WD_STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)));
  view.append(
    h('h1', {}, 'Withdrawal review queue'),
    h('form', { class: 'inline' }, h('label', {}, 'Status '), select),
    table(['serial', 'customer', 'account', 'amount', 'fee', 'net', 'value day', 'created', 'actions'],
      data.withdrawals.map((o) => h('tr', { 'data-serial': o.order_serial }, td(o.order_serial),
        td(link('#/customer/' + encodeURIComponent(o.uuid), o.uuid)), td(o.account_type),
        num(`${o.amount} ${o.currency}`), num(o.fee), num(o.net_amount), td(o.value_day), td(o.created_at || ''),
        h('td', {}, orderActions(o))))),
    h('div', { class: 'pager' }, data.next_after ? link('#/withdrawals' + qs({ status, after: data.next_after }), 'Next page') : ''));
}

// --- TradeBoss and audit -----------------------------------------------------------------

async function viewTradeBoss(view, params) {
  const before = params.get('before') || '';
  const data = await api('/admin/v1/tradeboss/adjustments' + qs({ before, limit: 50 }));
  view.append(
    h('h1', {}, 'TradeBoss: recent adjustments and cancels'),
    table(['id', 'time', 'kind', 'customer', 'account', 'direction', 'amount', 'request'],
      data.adjustments.map((t) => h('tr', {}, td(t.id), td(time(t.ts_ms)), td(t.kind),
        td(t.customer ? link('#/customer/' + encodeURIComponent(t.customer), t.customer) : ''), td(t.account_type || ''),
        td(t.direction || ''), num(`${t.amount} ${t.currency}`), td(t.ref || '')))),
    h('div', { class: 'pager' }, data.next_before ? link('#/tradeboss' + qs({ before: data.next_before }), 'Older') : ''));
}

async function viewAudit(view, params) {
  const target = params.get('target') || '';
  const before = params.get('before') || '';
  const data = await api('/admin/v1/audit' + qs({ target, before, limit: 50 }));
  const input = h('input', { value: target, placeholder: 'target (uuid, request id, ...)', 'aria-label': 'audit target' });
  view.append(
    h('h1', {}, 'Audit log'),
    h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); location.hash = '#/audit' + qs({ target: input.value }); } },
      input, h('button', { type: 'submit' }, 'Filter')),
    table(['id', 'time', 'actor', 'action', 'target', 'detail', 'trace'],
      data.entries.map((e) => h('tr', {}, td(e.id), td(time(e.ts_ms)), td(e.actor), td(e.action), td(e.target),
        td(e.detail ? `${e.detail.operation}: ${e.detail.reason}` : ''), td(e.trace, 'muted')))),
    h('div', { class: 'pager' }, data.next_before ? link('#/audit' + qs({ target, before: data.next_before }), 'Older') : ''));
}

// --- FX: deals, positions, rates --------------------------------------------------------------

// The FX families whose deals the filter offers (GET /admin/v1/fx/exchanges?family=).
const FX_FAMILIES = ['yabandpay', 'worldfirst'];
const FX_STATES = ['pending', 'settled', 'failed'];

function stateCell(state) { return td(state, state === 'failed' ? 'bad' : state === 'settled' ? 'ok' : null); }

function age(seconds) {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

// POST /admin/v1/fx/settle: the sweep over every deal whose value date has come.
async function settleNow() {
  try {
    const r = await api('/admin/v1/fx/settle', { method: 'POST', body: {} });
    flash(`Settlement sweep: ${r.settled} settled, ${r.failed} failed, ${r.deferred} deferred` +
      `${r.more ? ' (more are due: press again)' : ''}, as of ${stamp(r.as_of)}`);
  } catch (e) {
    flash('Settlement sweep refused: ' + e.message, true);
  }
  route();
}

function settleButton() {
  return h('button', { type: 'button', id: 'settle-now', onclick: settleNow,
    title: 'Settle every deal whose value date has come (the server also does this every second)' }, 'Settle now');
}

// Trade ids are version-7 uuids: deals made close together share their first
// digits (the time), so the list shows the last 12; the deal's page the whole.
async function viewDeals(view, params) {
  const state = params.get('state') || '';
  const family = params.get('family') || '';
  const after = params.get('after') || '';
  const back = params.get('back') || '';
  const data = await api('/admin/v1/fx/exchanges' + qs({ state, family, after, limit: PAGE }));
  const filter = (name, values, current) => h('select', { 'aria-label': name, name, onchange: go },
    h('option', { value: '' }, 'any ' + name), values.map((v) => h('option', { value: v, selected: v === current }, v)));
  const form = h('form', { class: 'inline' }, filter('state', FX_STATES, state), filter('family', FX_FAMILIES, family), settleButton());
  function go() { location.hash = '#/fx' + qs({ state: form.elements.state.value, family: form.elements.family.value }); }
  const backs = back ? back.split(',') : [];
  view.append(
    h('h1', {}, 'FX deals'),
    form,
    table(['trade', 'created', 'family', 'customer', 'sold', 'bought', 'rate', 'tenor', 'value date', 'state'],
      data.exchanges.map((x) => h('tr', { 'data-trade': x.trade_id }, h('td', { class: 'id', title: x.trade_id }, link('#/deal/' + x.trade_id, '…' + x.trade_id.slice(-12))), td(stamp(x.created_at), 'nowrap'),
        td(x.family), td(link('#/customer/' + encodeURIComponent(x.customer), x.customer)),
        num(`${x.sold_amount} ${x.sell_currency}`), num(`${x.bought_amount} ${x.buy_currency}`), num(x.rate),
        td(x.tenor), td(x.value_date, 'nowrap'), stateCell(x.state)))),
    h('div', { class: 'pager' },
      backs.length ? link('#/fx' + qs({ state, family, after: backs[backs.length - 1] === '-' ? '' : backs[backs.length - 1], back: backs.slice(0, -1).join(',') }), 'Previous page') : '',
      data.next_after ? link('#/fx' + qs({ state, family, after: data.next_after, back: backs.concat([after || '-']).join(',') }), 'Next page') : ''));
}

function field(name, value) { return h('tr', {}, h('th', {}, name), td(value === '' || value === null || value === undefined ? '-' : value)); }

async function legRow(role, id) {
  if (!id) return null;
  const t = await api('/admin/v1/transfers/' + id);
  return h('tr', {}, td(role), td(link('#/account/' + t.debit_account_id, String(t.debit_account_id))),
    td(link('#/account/' + t.credit_account_id, String(t.credit_account_id))), num(`${t.amount} ${t.currency}`),
    td(t.type + (t.hold_state ? ` (${t.hold_state})` : '')), td(time(t.ts_ms)), td(String(t.id)));
}

async function viewDeal(view, params, id) {
  const x = await api('/admin/v1/fx/exchanges/' + encodeURIComponent(id));
  const post = x.state === 'failed' ? 'void' : 'post';
  const legs = (await Promise.all([legRow(x.funded ? 'sell (hold)' : 'sell', x.legs.sell),
    legRow(post + ' of the hold', x.legs.post_or_void), legRow('buy', x.legs.buy)])).filter(Boolean);
  view.append(
    h('h1', {}, `FX deal ${x.trade_id}`),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'State'), h('div', { class: 'stat ' + (x.state === 'failed' ? 'bad' : x.state === 'settled' ? 'ok' : ''), id: 'deal-state' }, x.state)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Sold'), h('div', { class: 'stat', id: 'deal-sold' }, `${x.sold_amount} ${x.sell_currency}`)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Bought'), h('div', { class: 'stat', id: 'deal-bought' }, `${x.bought_amount} ${x.buy_currency}`)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, `${x.tenor}, value date`), h('div', { class: 'stat' }, x.value_date))),
    x.state === 'pending' ? h('p', { class: 'actions' }, settleButton(),
      h('span', { class: 'muted' }, ' settles every deal whose value date has come; this one\'s is ' + x.value_date)) : '',
    h('h2', {}, 'Ledger legs'),
    table(['leg', 'debit', 'credit', 'amount', 'type', 'time', 'transfer'], legs),
    h('h2', {}, 'Details'),
    h('table', { class: 'fields' }, h('tbody', {},
      field('family', x.family), field('client', x.client_key),
      h('tr', {}, h('th', {}, 'customer'), td(link('#/customer/' + encodeURIComponent(x.customer), x.customer))),
      field('account type', x.account_type), field('request id', x.request_id), field('order id', x.order_id),
      field('reference', x.reference), field('quote id', x.quote_id), field('pair', x.pair), field('price', x.price),
      field('rate (buy per sell)', x.rate), field('fixed side', x.fixed_side), field('funded', x.funded ? 'yes' : 'no'),
      field('created', stamp(x.created_at)), field('settled or failed', stamp(x.settled_at)), field('fail reason', x.fail_reason))));
}

async function viewPositions(view, params) {
  const currency = params.get('currency') || '';
  const [p, cur] = await Promise.all([api('/admin/v1/fx/positions' + qs({ currency })), api('/admin/v1/currencies')]);
  const select = h('select', { 'aria-label': 'reporting currency', onchange: () => { location.hash = '#/positions' + qs({ currency: select.value }); } },
    cur.currencies.map((c) => h('option', { value: c.code, selected: c.code === p.currency }, c.code)));
  view.append(
    h('h1', {}, 'FX positions'),
    h('form', { class: 'inline' }, h('label', {}, 'Valued in '), select, settleButton()),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, `Total value (${p.currency}, at mid)`), h('div', { class: 'stat', id: 'positions-total' }, p.total_value)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'As of'), h('div', { class: 'stat' }, stamp(p.as_of)))),
    h('p', { class: 'muted' }, 'settled: the house:fx balance; incoming and outgoing: what pending deals will move; net = settled + incoming - outgoing.'),
    table(['currency', 'settled', 'incoming', 'outgoing', 'net', 'mid', `value (${p.currency})`],
      p.positions.map((x) => h('tr', { 'data-currency': x.currency }, td(x.currency), num(x.settled), num(x.incoming), num(x.outgoing),
        num(x.net), num(x.mid === null ? 'no rate' : x.mid), num(x.value === null ? '-' : x.value + (x.stale ? ' (stale rate)' : ''))))));
}

async function viewRates(view) {
  const data = await api('/admin/v1/rates');
  view.append(
    h('h1', {}, 'FX rates'),
    h('p', { class: 'muted' }, 'One row per pair; the inverse is derived. A pair older than its maximum age is not quoted.'),
    table(['pair', 'bid', 'ask', 'mid', 'age', 'fresh', 'source', 'max age', 'set at'],
      data.rates.map((r) => h('tr', { 'data-pair': r.pair }, td(r.pair), num(r.bid), num(r.ask), num(r.mid), num(age(r.age_s)),
        td(r.fresh ? 'yes' : 'STALE', r.fresh ? 'ok' : 'bad'), td(r.source), td(r.max_age_s ? age(r.max_age_s) : 'none'), td(stamp(r.set_at), 'nowrap')))));
}

// --- the outbox: notifications to partners (WorldFirst's notifyExchange) -----------------------

const OUTBOX_STATUSES = ['pending', 'delivered', 'dead'];
// The outbox's series of /metrics: name, label, how a value is shown.
const OUTBOX_FIGURES = [
  ['fundgate_outbox_pending', 'Pending (queue length)', String],
  ['fundgate_outbox_oldest_pending_age_seconds', 'Oldest pending for', (v) => age(v)],
  ['fundgate_outbox_deliveries_total', 'Delivered (since start)', String],
  ['fundgate_outbox_failures_total', 'Failed tries (since start)', String],
  ['fundgate_outbox_dead_total', 'Dead (since start)', String],
];

async function outboxFigures() {
  const v = metricValues(await (await fetch('/metrics', { cache: 'no-store' })).text());
  return h('div', { class: 'grid figures' }, OUTBOX_FIGURES.map(([name, label, show]) =>
    h('div', { class: 'card' }, h('div', { class: 'muted' }, label),
      h('div', { class: 'stat', 'data-metric': name }, v.has(name) ? show(v.get(name)) : '-'))));
}

function outboxStatusCell(status) { return td(status, status === 'dead' ? 'bad' : status === 'delivered' ? 'ok' : null); }

// POST /admin/v1/outbox/{id}/retry: pending, due now, a fresh schedule.
async function outboxRetry(n) {
  try {
    const r = await api(`/admin/v1/outbox/${n.id}/retry`, { method: 'POST', body: {} });
    flash(`Notification ${r.id} (${r.notification_id}): sent again, now ${r.status}, ${r.tries} tries`);
  } catch (e) {
    flash(`Notification ${n.id}: retry refused: ${e.message}`, true);
  }
  route();
}

// Delivered rows are not offered a retry: the receiver has it (the route would send it again).
function outboxActions(n) {
  if (n.status === 'delivered') return '';
  return h('button', { type: 'button', class: n.status === 'dead' ? null : 'secondary', 'data-action': 'retry',
    title: 'Send it now, with a fresh schedule of tries', onclick: () => outboxRetry(n) }, 'Retry');
}

function lastError(n) { return n.last_http && !n.last_error.includes(String(n.last_http)) ? `HTTP ${n.last_http}: ${n.last_error}` : n.last_error; }

function refreshButton() { return h('button', { type: 'button', class: 'secondary', id: 'refresh', onclick: () => route() }, 'Refresh'); }

// Exchange ids are version-7 uuids, shown by their last 12 digits as on the deals list.
async function viewOutbox(view, params) {
  const status = params.get('status') || '';
  const after = params.get('after') || '';
  const back = params.get('back') || '';
  const [data, figures] = await Promise.all([api('/admin/v1/outbox' + qs({ status, after, limit: PAGE })), outboxFigures()]);
  const select = h('select', { 'aria-label': 'status', name: 'status', onchange: () => { location.hash = '#/outbox' + qs({ status: select.value }); } },
    h('option', { value: '' }, 'any status'), OUTBOX_STATUSES.map((v) => h('option', { value: v, selected: v === status }, v)));
  const backs = back ? back.split(',') : [];
  view.append(
    h('h1', {}, 'Outbox: notifications to partners'),
    figures,
    h('p', { class: 'muted' }, 'A failed try is tried again 2 min, 10 min, 10 min, 1 h, 2 h, 6 h and 15 h after it; after the eighth the notification is dead until retried.'),
    h('form', { class: 'inline' }, select, refreshButton()),
    table(['id', 'created', 'exchange', 'client', 'status', 'tries', 'next try', 'last error', 'done', 'actions'],
      data.notifications.map((n) => h('tr', { 'data-id': n.id, 'data-status': n.status }, td(link('#/notification/' + n.id, String(n.id))), td(stamp(n.created_at), 'nowrap'),
        h('td', { class: 'id', title: n.ref }, link('#/deal/' + encodeURIComponent(n.ref), '…' + n.ref.slice(-12))), td(n.client_key),
        outboxStatusCell(n.status), num(n.tries), td(stamp(n.next_try_at), 'nowrap'), td(lastError(n), 'wrap'),
        td(stamp(n.done_at), 'nowrap'), h('td', {}, outboxActions(n))))),
    h('div', { class: 'pager' },
      backs.length ? link('#/outbox' + qs({ status, after: backs[backs.length - 1] === '-' ? '' : backs[backs.length - 1], back: backs.slice(0, -1).join(',') }), 'Previous page') : '',
      data.next_after ? link('#/outbox' + qs({ status, after: data.next_after, back: backs.concat([after || '-']).join(',') }), 'Next page') : ''));
}

// The body as sent, indented when it is JSON (it always is for WorldFirst).
function prettyBody(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch (e) { return body; }
}

// One notification: the list's page that starts at it (no route reads one row).
async function viewNotification(view, params, id) {
  if (!/^[1-9][0-9]{0,17}$/.test(id || '')) throw new Error('no such notification: ' + id);
  const data = await api('/admin/v1/outbox' + qs({ after: String(BigInt(id) - 1n), limit: 1 }));
  const n = data.notifications[0];
  if (!n || String(n.id) !== id) throw new Error('no such notification: ' + id);
  view.append(
    h('h1', {}, `Notification ${n.id}: ${n.notification_id}`),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Status'), h('div', { class: 'stat ' + (n.status === 'dead' ? 'bad' : n.status === 'delivered' ? 'ok' : ''), id: 'notification-status' }, n.status)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Tries'), h('div', { class: 'stat', id: 'notification-tries' }, n.tries)),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Next try'), h('div', { class: 'stat' }, stamp(n.next_try_at) || '-'))),
    h('p', { class: 'actions' }, outboxActions(n), refreshButton()),
    h('h2', {}, 'Details'),
    h('table', { class: 'fields' }, h('tbody', {},
      field('family', n.family), field('kind', n.kind), field('client', n.client_key),
      h('tr', {}, h('th', {}, 'exchange'), td(link('#/deal/' + encodeURIComponent(n.ref), n.ref))),
      field('notify_url when queued', n.url), field('created', stamp(n.created_at)), field('last try', stamp(n.last_try_at)),
      field('last HTTP status', n.last_http), h('tr', {}, h('th', {}, 'last error'), td(n.last_error || '-', 'wrap')),
      field('delivered or dead', stamp(n.done_at)))),
    h('h2', {}, 'Body (the same bytes at every try)'),
    h('pre', { class: 'body', id: 'notification-body' }, prettyBody(n.body)));
}

// --- sections and routing -------------------------------------------------------------------

// The menu, in order: { id, title, render }.
const SECTIONS = [
  { id: 'dashboard', title: 'Dashboard', render: viewDashboard },
  { id: 'customers', title: 'Customers', render: viewCustomers },
  { id: 'withdrawals', title: 'Withdrawals', render: viewWithdrawals },
  { id: 'tradeboss', title: 'TradeBoss', render: viewTradeBoss },
  { id: 'fx', title: 'FX deals', render: viewDeals },
  { id: 'positions', title: 'FX positions', render: viewPositions },
  { id: 'rates', title: 'FX rates', render: viewRates },
  { id: 'outbox', title: 'Outbox', render: viewOutbox },
  { id: 'audit', title: 'Audit', render: viewAudit },
];
// Pages reached from the sections, not in the menu.
const PAGES = { customer: viewCustomer, account: viewAccount, deal: viewDeal, notification: viewNotification };

function renderNav(current) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...SECTIONS.map((s) => h('a', { href: '#/' + s.id, class: s.id === current ? 'active' : null }, s.title)));
}

let routeSeq = 0;
async function route() {
  if (!token()) { showSignIn(); return; }
  clearInterval(metricsTimer);
  const hash = location.hash.replace(/^#\/?/, '') || 'dashboard';
  const [pathPart, query] = hash.split('?');
  const [id, arg] = pathPart.split('/');
  const section = SECTIONS.find((s) => s.id === id);
  const render = section ? section.render : PAGES[id];
  const view = document.getElementById('view');
  const seq = ++routeSeq;
  renderNav(section ? id : '');
  const fresh = h('div', {});
  try {
    if (!render) throw new Error('no such page: ' + id);
    await render(fresh, new URLSearchParams(query || ''), arg ? decodeURIComponent(arg) : undefined);
  } catch (e) {
    if (e.message === 'unauthorized') return;
    fresh.replaceChildren(h('p', { class: 'error' }, e.message));
  }
  if (seq === routeSeq) view.replaceChildren(fresh);
}

function showSignIn() {
  document.getElementById('signin').hidden = false;
  document.getElementById('view').hidden = true;
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  document.getElementById('token').focus();
}

function showApp() {
  document.getElementById('signin').hidden = true;
  document.getElementById('view').hidden = false;
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
}

function signOut(msg) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(metricsTimer);
  document.getElementById('view').replaceChildren();
  document.getElementById('signin-error').textContent = msg || '';
  flash('');
  showSignIn();
}

async function signIn(e) {
  e.preventDefault();
  const input = document.getElementById('token');
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = '';
  try {
    await api('/admin/v1/currencies');
  } catch (err) {
    if (err.message !== 'unauthorized') signOut(err.message);
    return;
  }
  document.getElementById('signin-error').textContent = '';
  showApp();
  route();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('signin-form').addEventListener('submit', signIn);
  document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));
  window.addEventListener('hashchange', () => { flash(''); route(); });
  if (token()) { showApp(); route(); } else showSignIn();
});
