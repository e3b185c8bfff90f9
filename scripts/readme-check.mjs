#!/usr/bin/env node
// readme-check.mjs - every command block of the README runs, as written, against a fresh demo
// server (`make test`: CTest readme_walkthroughs).
//
//   node scripts/readme-check.mjs README.md      (FUNDGATE_BIN, FUNDGATE_EXAMPLES set)
//
// Rules for the README:
// - A command block is fenced ```bash; it runs in a new `bash -euo pipefail`, so it must define
//   every variable it uses. ```sh (and ```shell, ```console, ```zsh) blocks are refused: write
//   bash. Other fences (```json, ```text, bare ```) are not commands.
// - curl in a block fails the block on an HTTP status of 400 or more (--fail-with-body): a
//   walkthrough shows requests that work; a refusal it shows must be one answered in a family's
//   envelope with 2xx, or the block says `|| true` where a person would expect the failure.
// - A block that must not run here says why on the line just before its fence:
//     <!-- readme-test: skip: it starts a second server -->
//   A skip without a reason is refused.
// - The blocks run in order, in a scratch directory laid out like a checkout after `make run`:
//   ./build/fundgate, ./examples, ./fundgate-data (the demo server's data directory, its
//   generated admin token in fundgate-data/admin-token). 127.0.0.1:8080 in a block is replaced
//   by the address of the server the check started on a free port.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const COMMAND_FENCES = new Set(['bash', 'sh', 'shell', 'console', 'zsh']);
const SKIP = /^<!--\s*readme-test:\s*skip:\s*(.*?)\s*-->$/;
const BLOCK_TIMEOUT_MS = 120000;

export function extractBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  const errors = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\S*)\s*$/.exec(lines[i]);
    if (!m) continue;
    const info = m[1];
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const body = lines.slice(start + 1, end).join('\n');
    const prev = start > 0 ? lines[start - 1].trim() : '';
    const skip = SKIP.exec(prev);
    if (/^<!--\s*readme-test/.test(prev) && !skip) errors.push(`line ${start + 1}: unreadable readme-test marker: ${prev}`);
    if (skip && !skip[1]) errors.push(`line ${start + 1}: a skipped block must say why`);
    if (COMMAND_FENCES.has(info) && info !== 'bash') errors.push(`line ${start + 1}: a command block is fenced \`\`\`bash, not \`\`\`${info}`);
    if (info === 'bash') blocks.push({ line: start + 1, body, skip: skip ? skip[1] : null });
    i = end;
  }
  return { blocks, errors };
}

function startServer(work, bin) {
  return new Promise((resolve, reject) => {
    const srv = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data', 'fundgate-data', '--bootstrap',
      'examples/demo.json'], { cwd: work, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('the demo server did not start: ' + out)), 30000);
    srv.stdout.on('data', (d) => {
      out += d;
      const m = /listening on https?:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (m && out.includes('try:')) { clearTimeout(timer); resolve({ srv, addr: m[1] }); }
    });
    srv.on('exit', (code) => { clearTimeout(timer); reject(new Error('the demo server exited ' + code + ': ' + out)); });
  });
}

const PRELUDE = [
  '# readme-check: curl fails the block on HTTP >= 400 (its body still printed)',
  'curl() { command curl --fail-with-body --show-error "$@"; }',
  '',
].join('\n');

async function main() {
  const readme = process.argv[2] || 'README.md';
  const bin = process.env.FUNDGATE_BIN;
  const examples = process.env.FUNDGATE_EXAMPLES;
  if (!bin || !examples) throw new Error('FUNDGATE_BIN and FUNDGATE_EXAMPLES must be set');
  const { blocks, errors } = extractBlocks(readFileSync(readme, 'utf8'));
  let passed = 0; let failed = 0;
  for (const e of errors) { console.log(`FAIL ${readme} ${e}`); failed++; }
  const work = mkdtempSync(path.join(tmpdir(), 'fg-readme-'));
  mkdirSync(path.join(work, 'build'));
  symlinkSync(path.resolve(bin), path.join(work, 'build', 'fundgate'));
  symlinkSync(path.resolve(examples), path.join(work, 'examples'));
  const { srv, addr } = await startServer(work, bin);
  try {
    for (const b of blocks) {
      if (b.skip) { console.log(`skip ${readme}:${b.line} (${b.skip})`); continue; }
      const script = PRELUDE + b.body.replaceAll('127.0.0.1:8080', addr).replaceAll('localhost:8080', addr);
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: work, encoding: 'utf8', timeout: BLOCK_TIMEOUT_MS, env: { ...process.env, HOME: work },
      });
      if (r.status === 0) {
        console.log(`ok   ${readme}:${b.line}`);
        passed++;
      } else {
        failed++;
        console.log(`FAIL ${readme}:${b.line} (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`);
        console.log('--- block ---\n' + b.body + '\n--- output ---\n' + (r.stdout || '') + (r.stderr || '') + '\n---');
      }
    }
  } finally {
    srv.kill('SIGTERM');
    await new Promise((res) => { srv.on('exit', res); setTimeout(res, 10000); });
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1].endsWith('readme-check.mjs')) {
  main().catch((e) => { console.log(e.stack || String(e)); console.log('0 passed, 1 failed'); process.exit(1); });
}
