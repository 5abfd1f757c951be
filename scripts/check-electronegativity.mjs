#!/usr/bin/env node
// Runs Electronegativity (Doyensec's Electron security linter) on the app's sources and on the
// built app, and fails on any finding above LOW. Electronegativity itself always exits 0, even
// with HIGH findings (version 1.10), so this script reads its results and decides.
//
//   node scripts/check-electronegativity.mjs [--report <file.json>] [--require]
//
//   --report   also write every finding (all severities) and every parse error as JSON
//   --require  fail (exit 2) when @doyensec/electronegativity is not installed; without it, the
//              check is skipped with a notice (it is an optional devDependency)
//
// Exit codes: 0 clean (LOW and INFORMATIONAL findings are listed, not fatal), 1 findings above
// LOW or an unparsable file under main/electron, 2 cannot run (not installed with --require,
// nothing built).
//
// What is scanned, each as one tree so the global checks (CSP, navigation limits, permission
// handler) see the main process and the page together:
//   src/   the TypeScript sources (preload.cts staged as .ts: the tool only reads .js/.ts/.html)
//   dist/  the built app as it is packaged (preload.cjs staged as .js; source maps left out)
// Findings that the tool cannot see through are silenced where they occur with a commented
// `eng-disable` annotation (src/main/electron/window.ts), never here.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const args = process.argv.slice(2);
const requireTool = args.includes('--require');
const reportAt = args.indexOf('--report');
const reportFile = reportAt >= 0 ? args[reportAt + 1] : undefined;

/** Severity values as Electronegativity numbers them (finder/attributes.js). */
const LOW = 1;
/** A file the tool could not parse is a blind spot; in the Electron room that is a failure. */
const MUST_PARSE = /(^|[\\/])main[\\/]electron[\\/]/;

function fail(code, message) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let run;
try {
  const mod = require('@doyensec/electronegativity');
  run = mod.default ?? mod;
} catch {
  const msg = 'check-electronegativity: @doyensec/electronegativity is not installed (npm install --save-dev @doyensec/electronegativity).';
  if (requireTool) fail(2, msg);
  process.stdout.write(`${msg} Skipped.\n`);
  process.exit(0);
}

if (!existsSync(path.join(ROOT, 'dist', 'main', 'electron', 'main.js'))) fail(2, 'check-electronegativity: dist/main/electron/main.js is missing; run `npm run build` first.');

let electronVersion;
try {
  electronVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
} catch {
  electronVersion = undefined; // the tool then reads package.json's range
}

/** Copies `from` to `to`, renaming `.cts`/`.cjs` so the tool reads them, dropping source maps. */
function stage(from, to) {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
  const rename = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) rename(p);
      else if (/\.c[tj]s$/.test(entry.name)) cpSync(p, p.replace(/\.c([tj])s$/, '.$1s'));
    }
  };
  rename(to);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'serverbit-eng-'));
const report = { electronVersion, scans: [] };
let failed = false;
try {
  for (const tree of ['src', 'dist']) {
    const input = path.join(scratch, tree);
    stage(path.join(ROOT, tree), input);
    // package.json tells the tool which Electron this is when -e is not known.
    cpSync(path.join(ROOT, 'package.json'), path.join(input, 'package.json'));
    const result = await run(
      {
        input,
        isRelative: true,
        isVerbose: false,
        customScan: [],
        excludeFromScan: [],
        parserPlugins: [],
        ...(electronVersion ? { electronVersionOverride: electronVersion } : {}),
      },
      false,
    );
    const issues = result.issues.map((i) => ({
      id: i.id,
      severity: i.severity.name,
      severityValue: i.severity.value,
      confidence: i.confidence.name,
      file: `${tree}/${i.file}`,
      location: i.location ? `${i.location.line}:${i.location.column}` : '',
      manualReview: !!i.manualReview,
      description: i.description,
    }));
    const errors = result.errors.map((e) => ({ file: path.relative(scratch, e.file), message: e.message, tolerable: !!e.tolerable }));
    report.scans.push({ tree, issues, errors });

    process.stdout.write(`\nElectronegativity on ${tree}/ (Electron ${electronVersion ?? 'from package.json'}): ${issues.length} finding(s)\n`);
    for (const i of issues) {
      const bad = i.severityValue > LOW;
      if (bad) failed = true;
      process.stdout.write(`  ${bad ? 'FAIL' : 'ok  '} ${i.severity.padEnd(13)} ${i.id} ${i.file}${i.location ? `:${i.location}` : ''}${i.manualReview ? ' (review)' : ''}\n`);
    }
    for (const e of errors) {
      if (e.tolerable) continue;
      const bad = MUST_PARSE.test(e.file);
      if (bad) failed = true;
      process.stdout.write(`  ${bad ? 'FAIL' : 'warn'} not scanned: ${e.file}: ${e.message}\n`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

if (reportFile) writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
if (failed) fail(1, '\ncheck-electronegativity: findings above LOW (or unscanned Electron code) — fix them, or annotate a proven false positive with a commented eng-disable where it occurs.');
process.stdout.write('\ncheck-electronegativity: nothing above LOW.\n');
