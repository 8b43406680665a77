// The configuration the manifests set is the configuration the binaries read: every service is
// started with its Deployment's environment from the rendered base (the ConfigMaps, and the
// Secrets that scripts/k8s/create-secrets.sh makes), against a real PostgreSQL (initialised with
// the manifests' init script and password) and Redis (with the manifests' arguments), and must
// become ready; then stop gracefully within its grace period.
//
// Only what a cluster would provide differently is substituted: Service DNS names and ports by
// 127.0.0.1 and free ports (the same substitution everywhere, so URLs stay consistent),
// PARLEY_BIND by 127.0.0.1, mounted Secret files and emptyDirs by files in a temporary folder,
// the image's assets folder by the repository's assets/.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildDir,
  containerEnv,
  dockerfile,
  find,
  imageEnv,
  mainContainer,
  ofKind,
  podSpec,
  render,
  repo,
  sampleSecrets,
  secretValue,
  seconds,
  services,
} from './lib.mjs';

const objects = render('base');
const secrets = sampleSecrets();
const names = Object.keys(services);
const order = ['auth', 'user', 'chat', 'gateway', 'frontend']; // dependencies first
const isRoot = process.getuid && process.getuid() === 0;
const work = mkdtempSync(join(tmpdir(), 'parley-k8s-config-'));
chmodSync(work, 0o755); // PostgreSQL runs as the postgres user

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePorts(n) {
  return new Promise((resolve, reject) => {
    const servers = [];
    const ports = [];
    const next = () => {
      if (ports.length === n) {
        servers.forEach((s) => s.close());
        return resolve(ports);
      }
      const s = createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        servers.push(s);
        ports.push(s.address().port);
        next();
      });
    };
    next();
  });
}

function get(port, path, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

// --- PostgreSQL and Redis, as the manifests run them --------------------------------------

function postgresBin() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  assert.ok(versions.length > 0, 'PostgreSQL is not installed (scripts/setup.sh test installs it)');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

function asPostgres(cmd, args, env = {}) {
  const full = isRoot ? ['runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]] : [cmd, args];
  return execFileSync(full[0], full[1], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

function startPostgres(port) {
  const pg = find(objects, 'StatefulSet', 'postgres');
  const c = mainContainer(pg);
  const env = containerEnv(objects, c);
  const user = env.get('POSTGRES_USER').value;
  const db = env.get('POSTGRES_DB').value;
  const ref = env.get('POSTGRES_PASSWORD').secret;
  const password = secretValue(secrets, ref.name, ref.key);
  assert.ok(password, `create-secrets.sh makes no ${ref.name}/${ref.key}`);
  const dir = join(work, 'postgres');
  const own = (path) => {
    if (!isRoot) return;
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(path, id('-u'), id('-g'));
  };
  mkdirSync(dir);
  own(dir);
  const bin = postgresBin();
  const pwfile = join(dir, 'password');
  writeFileSync(pwfile, password, { mode: 0o600 });
  own(pwfile);
  asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', user, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-sync']);
  // The StatefulSet's own server arguments, plus where to listen here.
  const options = [...(c.args || []), '-c', `port=${port}`, '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off'];
  asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '60', '-o', options.map((o) => `'${o}'`).join(' '), 'start']);
  // The init scripts, run as the image's entrypoint runs them.
  const init = find(objects, 'ConfigMap', 'postgres-init');
  for (const name of Object.keys(init.data).sort()) {
    const file = join(dir, name);
    writeFileSync(file, init.data[name]);
    chmodSync(file, 0o644);
    asPostgres(join(bin, 'psql'), ['-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-f', file], { PGPASSWORD: password });
  }
  return () => {
    try {
      asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      /* already stopped */
    }
  };
}

async function startRedis(port) {
  const c = mainContainer(find(objects, 'Deployment', 'redis'));
  const args = [...(c.args || []), '--port', String(port), '--bind', '127.0.0.1', '--dir', work];
  const child = spawn(c.command[0], args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.on('exit', r));
  child.on('error', (e) => (log += `\n${e.message} (scripts/setup.sh test installs redis-server)`));
  for (let i = 0; i < 100 && !/Ready to accept connections/.test(log) && child.exitCode === null; i++) await sleep(50);
  assert.match(log, /Ready to accept connections/, `redis-server did not start: ${log.slice(-500)}`);
  return async () => {
    child.kill('SIGKILL');
    await exited;
  };
}

// --- the five services ----------------------------------------------------------------------

const ports = {}; // "<service>:<port>" -> local port
const procs = {}; // name -> { child, log, exit, port, internal, env }
const stops = [];
let setupError;

// A workload's environment with the cluster's names and files replaced by local ones.
function localEnv(key, name = key) {
  const d = find(objects, 'Deployment', name);
  const c = mainContainer(d);
  const spec = podSpec(d);
  const env = { ...imageEnv() }; // the image's ENV, then the container's
  for (const [k, v] of containerEnv(objects, c)) {
    if (v.secret) {
      const value = secretValue(secrets, v.secret.name, v.secret.key);
      assert.ok(value !== undefined, `${name} ${k}: create-secrets.sh makes no ${v.secret.name}/${v.secret.key}`);
      env[k] = value;
    } else if ('value' in v) env[k] = v.value;
    else throw new Error(`${name} ${k}: unsupported ${JSON.stringify(v)}`);
  }
  const pod = join(work, key);
  mkdirSync(pod);
  // Mounted volumes: Secrets as files, emptyDirs as folders.
  const mounts = [];
  for (const m of c.volumeMounts || []) {
    const vol = spec.volumes.find((x) => x.name === m.name);
    const local = join(pod, m.name);
    mkdirSync(local);
    if (vol.secret) {
      const s = secrets.find((x) => x.metadata.name === vol.secret.secretName);
      assert.ok(s, `${name}: create-secrets.sh makes no Secret ${vol.secret.secretName}`);
      for (const key of Object.keys(s.data || {})) writeFileSync(join(local, key), secretValue(secrets, s.metadata.name, key), { mode: 0o600 });
    }
    mounts.push([m.mountPath, local]);
  }
  // What the image brings: assets/ (COPY assets/ <dir>/ in the Dockerfile).
  const copy = dockerfile().find((i) => i.op === 'COPY' && /^assets\/?\s/.test(i.args));
  mounts.push([copy.args.split(/\s+/)[1].replace(/\/$/, ''), join(repo, 'assets')]);
  const addresses = ofKind(objects, 'Service').flatMap((s) => s.spec.ports.map((p) => [s.metadata.name, p.port]));
  for (const [k, value] of Object.entries(env)) {
    let v = value;
    for (const [host, port] of addresses) {
      const re = new RegExp(`(^|[/@,])${host}(\\.parley(\\.svc(\\.cluster\\.local)?)?)?:${port}(?=$|[/,])`, 'g');
      v = v.replace(re, (_, pre) => `${pre}127.0.0.1:${ports[`${host}:${port}`]}`);
    }
    for (const [from, to] of mounts) if (v === from || v.startsWith(from + '/')) v = to + v.slice(from.length);
    env[k] = v;
  }
  const port = ports[`${name}:${env.PARLEY_PORT}`];
  const internal = env.PARLEY_INTERNAL_PORT && ports[`${name}:${env.PARLEY_INTERNAL_PORT}`];
  env.PARLEY_PORT = String(port);
  if (internal) env.PARLEY_INTERNAL_PORT = String(internal);
  env.PARLEY_BIND = '127.0.0.1';
  return { env, command: c.command };
}

function startService(name, key = name, change = (env) => env) {
  const { env: configured, command } = localEnv(key, name);
  const env = change(configured);
  const exe = join(buildDir, 'apps', name, command[0]);
  const internal = env.PARLEY_INTERNAL_PORT ? Number(env.PARLEY_INTERNAL_PORT) : undefined;
  const p = { log: '', exit: undefined, port: Number(env.PARLEY_PORT), internal, env };
  procs[key] = p;
  if (!existsSync(exe)) {
    p.exit = `not built: ${exe}`;
    return;
  }
  // Nothing of this process's environment but PATH (and sanitizer options): only the manifests'.
  const passed = { PATH: process.env.PATH };
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) if (process.env[k]) passed[k] = process.env[k];
  p.child = spawn(exe, [], { env: { ...passed, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.child.stdout.on('data', (d) => (p.log += d));
  p.child.stderr.on('data', (d) => (p.log += d));
  p.exited = new Promise((r) =>
    p.child.on('exit', (code, signal) => {
      p.exit = signal ? `killed by ${signal}` : `exited ${code}`;
      p.code = code;
      r();
    }),
  );
}

const status = (res) => {
  try {
    return JSON.parse(res.body).status;
  } catch {
    return `(not JSON: ${res.body.slice(0, 40)})`;
  }
};
const tail = (p) => p.log.split('\n').filter(Boolean).slice(-6).join('\n');
const why = (name) => {
  const p = procs[name];
  if (setupError) return `setup failed: ${setupError.message}`;
  return p.exit ? `${name} ${p.exit}:\n${tail(p)}` : `${name} log:\n${tail(p)}`;
};

// Polls until check() returns true, or the process ends, or time runs out.
async function until(name, check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (procs[name].exit) return false;
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

describe('the binaries with the manifests\' configuration', () => {
  before(async () => {
    try {
      const keys = ofKind(objects, 'Service').flatMap((s) => s.spec.ports.map((p) => `${s.metadata.name}:${p.port}`));
      const free = await freePorts(keys.length);
      keys.forEach((k, i) => (ports[k] = free[i]));
      stops.push(startPostgres(ports['postgres:5432']));
      stops.push(await startRedis(ports['redis:6379']));
      for (const n of order) startService(n);
    } catch (e) {
      setupError = e;
    }
  });

  after(async () => {
    for (const p of Object.values(procs)) if (p.child && !p.exit) p.child.kill('SIGKILL');
    await Promise.all(Object.values(procs).map((p) => p.exited));
    for (const stop of stops.reverse()) await stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('starts PostgreSQL (the init script, the password) and Redis (the arguments)', () => {
    assert.ifError(setupError);
  });

  // A name is in the binary as a string literal, or composed of two literals around nothing or
  // the service's name (e.g. "PARLEY_" + "AUTH" + "_DATABASE_URL", "PARLEY_JWT_PUBLIC_KEY" + "_FILE").
  const has = (binary, text) => binary.indexOf(Buffer.from(`${text}\0`)) >= 0;
  function knows(binary, variable, service) {
    if (has(binary, variable)) return true;
    for (const middle of ['', `${service.toUpperCase()}`])
      for (let i = 4; i + middle.length + 4 <= variable.length; i++)
        if (variable.startsWith(middle, i) && has(binary, variable.slice(0, i)) && has(binary, variable.slice(i + middle.length))) return true;
    return false;
  }

  // The variable names the manifests set must be known to the binary: a renamed variable in
  // the code or a typo in the manifests fails here by name.
  for (const name of names) {
    it(`${name}: every PARLEY_* variable set for it is one the binary knows`, () => {
      const exe = join(buildDir, 'apps', name, `parley-${name}`);
      assert.ok(existsSync(exe), `${exe} is not built`);
      const binary = readFileSync(exe);
      const set = [...containerEnv(objects, mainContainer(find(objects, 'Deployment', name))).keys()].filter((k) => k.startsWith('PARLEY_'));
      const unknown = set.filter((k) => !knows(binary, k, name));
      assert.deepEqual(unknown, [], `parley-${name} does not know ${unknown.join(', ')}`);
    });
  }

  for (const name of names) {
    it(`${name}: starts and answers GET /health`, async () => {
      assert.ok(procs[name], why(name));
      const ok = await until(name, async () => (await get(procs[name].port, '/health')).status === 200, 15000);
      assert.ok(ok, `no healthy ${why(name)}`);
    });
  }

  for (const name of names) {
    it(`${name}: becomes ready (GET /ready 200 {"status":"ready"})`, async () => {
      assert.ok(procs[name], why(name));
      let last;
      // 404 will not change: no such endpoint.
      const ok = await until(name, async () => [200, 404].includes((last = await get(procs[name].port, '/ready')).status), 15000);
      assert.ok(ok && last.status === 200, `not ready (last: ${last ? `${last.status} ${last.body.slice(0, 100)}` : 'none'}); ${why(name)}`);
      assert.equal(status(last), 'ready', `GET /ready: ${last.body.slice(0, 100)}`);
    });
  }

  for (const name of names) {
    it(`${name}: serves /metrics on PARLEY_INTERNAL_PORT`, async () => {
      const p = procs[name];
      assert.ok(p && p.internal, 'PARLEY_INTERNAL_PORT is not set');
      let last;
      const ok = await until(name, async () => (last = await get(p.internal, '/metrics')).status === 200, 3000);
      assert.ok(ok, `GET :${p.internal}/metrics: ${last ? `${last.status} ${last.body.slice(0, 80)}` : 'none'}; ${why(name)}`);
    });
  }

  // The liveness probe must not depend on other services (or an outage of one would restart
  // every gateway): a second gateway, its upstreams pointed at closed ports, is still alive.
  it('gateway: /health (liveness) answers 200 while auth, user and chat are down', async () => {
    assert.ifError(setupError);
    const [closed, port, internal] = await freePorts(3);
    startService('gateway', 'gateway-alone', (env) => {
      for (const k of ['PARLEY_AUTH_URL', 'PARLEY_USER_URL', 'PARLEY_CHAT_URL']) env[k] = `http://127.0.0.1:${closed}`;
      return { ...env, PARLEY_PORT: String(port), PARLEY_INTERNAL_PORT: String(internal) };
    });
    let last;
    const ok = await until('gateway-alone', async () => (last = await get(port, '/health')).status === 200, 3000);
    assert.ok(ok, `GET /health: ${last ? `${last.status} ${last.body.slice(0, 120)}` : 'none'}; ${why('gateway-alone')}`);
    procs['gateway-alone'].child.kill('SIGKILL');
  });

  // SIGTERM to all at once, as a rollout would: readiness first turns false while the service
  // still serves (PARLEY_DRAIN_DELAY), and the process ends cleanly within the time the pod
  // gives it after preStop.
  // All five are stopped at once and watched together (the drain lasts PARLEY_DRAIN_DELAY).
  let draining;
  const watchDrain = () => {
    if (!draining) {
      for (const n of names) if (procs[n] && procs[n].child && !procs[n].exit) procs[n].child.kill('SIGTERM');
      draining = Promise.all(
        names.map(async (n) => {
          const p = procs[n];
          if (!p || !p.child) return {};
          let ready;
          let health;
          await until(n, async () => {
            ready = await get(p.port, '/ready', 500);
            health = await get(p.port, '/health', 500);
            return ready.status === 503 && health.status === 200;
          }, 2000);
          return { ready, health };
        }),
      );
    }
    return draining;
  };
  for (const [i, name] of names.entries()) {
    it(`${name}: after SIGTERM, /ready answers 503 while /health still answers 200`, async () => {
      const { ready, health } = (await watchDrain())[i];
      assert.ok(procs[name] && procs[name].child, why(name));
      assert.ok(ready && ready.status === 503 && health.status === 200, `after SIGTERM: /ready ${ready && ready.status}, /health ${health && health.status}; ${why(name)}`);
      assert.equal(status(ready), 'draining', `GET /ready: ${ready.body.slice(0, 100)}`);
    });
  }

  for (const name of names) {
    it(`${name}: exits 0 within terminationGracePeriodSeconds - preStop`, async () => {
      const p = procs[name];
      assert.ok(p && p.child, why(name));
      const d = find(objects, 'Deployment', name);
      const pre = mainContainer(d).lifecycle.preStop.exec.command;
      const budget = podSpec(d).terminationGracePeriodSeconds - Number(pre[1]);
      const drain = seconds(p.env.PARLEY_DRAIN_DELAY || '0s');
      await Promise.race([p.exited, sleep(budget * 1000)]);
      assert.ok(p.exit, `still running ${budget}s after SIGTERM (drain ${drain}s)`);
      assert.equal(p.exit, 'exited 0', why(name));
    });
  }
});
