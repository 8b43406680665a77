// The Dockerfile, read as a reviewer would: two stages (build on debian:bookworm, run on
// debian:bookworm-slim), only runtime libraries in the image (checked against what the built
// binaries link), all five binaries and assets/, a numeric non-root user that the manifests
// run as, the service chosen by the container's command, and a .dockerignore.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDir, dockerfile, imageEnv, envValues, find, podSpec, render, repo, services } from './lib.mjs';

const instructions = dockerfile();
const stages = instructions.filter((i) => i.op === 'FROM');
const last = stages.length - 1;
const inStage = (n, op) => instructions.filter((i) => i.stage === n && (!op || i.op === op));
// The binaries: every apps/<name>/ builds parley-<name> (its CMakeLists calls parley_service).
const binaries = readdirSync(join(repo, 'apps'))
  .filter((d) => existsSync(join(repo, 'apps', d, 'CMakeLists.txt')))
  .filter((d) => /^parley_service\(/m.test(readFileSync(join(repo, 'apps', d, 'CMakeLists.txt'), 'utf8')))
  .map((d) => `parley-${d}`);
const base = render('base');

// Packages the runtime stage installs with apt-get install.
function runtimePackages() {
  const pkgs = [];
  for (const run of inStage(last, 'RUN'))
    for (const cmd of run.args.split(/&&|;/)) {
      const m = cmd.match(/apt-get\s+install\s+(.*)$/);
      if (m) pkgs.push(...m[1].split(/\s+/).filter((w) => w && !w.startsWith('-')));
    }
  return pkgs;
}

test('two stages: build on debian:bookworm, run on debian:bookworm-slim', () => {
  assert.equal(stages.length, 2, stages.map((s) => s.args).join(' | '));
  assert.match(stages[0].args, /^debian:bookworm\s+AS\s+build$/i);
  assert.match(stages[last].args, /^debian:bookworm-slim$/);
});

test('the build stage installs with scripts/setup.sh and builds every binary', () => {
  const runs = inStage(0, 'RUN').map((r) => r.args).join('\n');
  assert.match(runs, /scripts\/setup\.sh/, 'not installed by scripts/setup.sh');
  assert.deepEqual(binaries.sort(), Object.keys(services).map((s) => `parley-${s}`).sort());
  for (const b of binaries) assert.match(runs, new RegExp(`--target[^\\n]*\\b${b}\\b`), `${b} is not built`);
});

test('the runtime stage: libraries only, no compilers, headers or recommends, no apt lists', () => {
  const pkgs = runtimePackages();
  assert.ok(pkgs.length > 0, 'no apt-get install in the runtime stage');
  for (const p of pkgs) {
    assert.doesNotMatch(p, /-dev$|^(build-essential|gcc|g\+\+|cpp|clang.*|cmake|ninja-build|make|pkg-config|git|ccache)$/, `${p} in the runtime image`);
    assert.match(p, /^lib/, `${p} is not a library package`);
  }
  const runs = inStage(last, 'RUN').map((r) => r.args).join('\n');
  assert.match(runs, /--no-install-recommends/);
  assert.match(runs, /rm -rf \/var\/lib\/apt\/lists/);
  assert.doesNotMatch(runs, /setup\.sh/);
  for (const c of inStage(last, 'COPY')) {
    const from = c.args.match(/--from=(\S+)/);
    if (from) assert.match(c.args, /^--from=build \/out\/ \/usr\/local\/bin\/$/, `copies ${c.args} from the build stage`);
  }
});

const sanitized = process.env.PARLEY_SANITIZED_BUILD === '1';
test('the runtime libraries are the ones the built binaries link', { skip: sanitized && 'a sanitizer build: the image holds the default preset\'s binaries' }, () => {
  const pkgs = new Set([...runtimePackages(), 'libc6', 'libgcc-s1', 'libstdc++6']); // the last three: in bookworm-slim
  const needs = new Map(); // library -> binaries
  for (const b of binaries) {
    const file = join(buildDir, 'apps', b.replace('parley-', ''), b);
    assert.ok(existsSync(file), `${file} is not built (cmake --build --preset default)`);
    for (const m of execFileSync('readelf', ['-d', file], { encoding: 'utf8' }).matchAll(/\(NEEDED\).*\[(.+)\]/g))
      needs.set(m[1], [...(needs.get(m[1]) || []), b]);
  }
  // One dpkg query for all of them ("pkg:arch: /path/lib.so.N" lines).
  const owners = new Map();
  const out = execFileSync('dpkg', ['-S', ...[...needs.keys()].map((l) => `*/${l}`)], { encoding: 'utf8' });
  for (const line of out.split('\n').filter(Boolean)) {
    const [pkgs, path] = line.split(': ');
    const lib = path.slice(path.lastIndexOf('/') + 1);
    for (const p of pkgs.split(', ')) owners.set(lib, [...(owners.get(lib) || []), p.split(':')[0]]);
  }
  const missing = [];
  for (const [lib, users] of needs) {
    const from = owners.get(lib) || [];
    if (!from.some((o) => pkgs.has(o))) missing.push(`${users.join(', ')} need ${lib} (from ${from.join(', ') || 'no package'})`);
  }
  assert.deepEqual(missing, []);
});

test('all five binaries on PATH, assets/ where the frontend is configured to read it', () => {
  const copies = inStage(last, 'COPY').map((c) => c.args);
  assert.ok(copies.includes('--from=build /out/ /usr/local/bin/'));
  const build = inStage(0, 'RUN').map((r) => r.args).join('\n');
  assert.match(build, /\/out\/parley-\$service/, 'the binaries are not put into /out/');
  const assetsDir = envValues(base, find(base, 'Deployment', 'frontend')).PARLEY_ASSETS_DIR;
  assert.ok(copies.includes(`assets/ ${assetsDir}/`), `assets/ is not copied to ${assetsDir}/`);
  const env = imageEnv();
  assert.equal(env.PARLEY_ASSETS_DIR, assetsDir, 'ENV PARLEY_ASSETS_DIR');
  // The image's data folder is below /tmp, the pods' emptyDir (policy.test.mjs).
  assert.match(env.PARLEY_DATA_DIR || '', /^\/tmp\//, 'ENV PARLEY_DATA_DIR is not below /tmp');
});

test('a numeric non-root user, the one the manifests run as', () => {
  const users = inStage(last, 'USER');
  assert.ok(users.length > 0, 'no USER');
  const m = users[users.length - 1].args.match(/^(\d+):(\d+)$/);
  assert.ok(m, `USER ${users[users.length - 1].args} is not uid:gid`);
  assert.notEqual(Number(m[1]), 0);
  for (const name of Object.keys(services)) {
    const sc = podSpec(find(base, 'Deployment', name)).securityContext;
    assert.equal(sc.runAsUser, Number(m[1]), `${name} runs as ${sc.runAsUser}`);
    assert.equal(sc.runAsGroup, Number(m[2]), `${name} runs as group ${sc.runAsGroup}`);
  }
});

test('the container command picks the service: no ENTRYPOINT', () => {
  assert.deepEqual(inStage(last, 'ENTRYPOINT'), []);
  const exposed = inStage(last, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map(Number);
  for (const [name, port] of Object.entries(services)) assert.ok(exposed.includes(port), `${name}'s port ${port} not exposed`);
});

test('.dockerignore keeps build trees, data, node_modules and .git out', () => {
  const lines = readFileSync(join(repo, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l && !l.startsWith('#'));
  for (const p of ['build', 'var', '**/node_modules', '.git']) assert.ok(lines.includes(p), `.dockerignore lacks ${p}`);
});
