// The five real Parley services on free ports with a fresh data directory, for the browser
// tests: started in dependency order, each one's "listening" log line awaited, stopped by PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../..', import.meta.url).pathname);
const buildDir = process.env.PARLEY_BUILD_DIR || join(repo, 'build', 'default');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export class ParleySystem {
  constructor() {
    this.dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
    this.processes = new Map(); // name -> { child, log }
    this.ports = {};
  }

  url(name) {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  env(name) {
    const base = {
      ...process.env,
      PARLEY_DATA_DIR: this.dataDir,
      PARLEY_BIND: '127.0.0.1',
      PARLEY_PORT: String(this.ports[name]),
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_IO_THREADS: '1',
      PARLEY_WORKER_THREADS: '2',
      PARLEY_SHUTDOWN_TIMEOUT: '2s',
    };
    const addr = (n) => `127.0.0.1:${this.ports[n]}`;
    const extra = {
      auth: {},
      // Both poll auth's revocation list (deactivated users' tokens stop there too).
      user: { PARLEY_AUTH_URL: addr('auth') },
      chat: { PARLEY_USER_URL: addr('user'), PARLEY_AUTH_URL: addr('auth') },
      gateway: {
        PARLEY_AUTH_URL: addr('auth'),
        PARLEY_USER_URL: addr('user'),
        PARLEY_CHAT_URL: addr('chat'),
        PARLEY_FRONTEND_URL: addr('frontend'),
        PARLEY_CORS_ORIGINS: this.url('frontend'),
      },
      frontend: { PARLEY_GATEWAY_PUBLIC_URL: this.url('gateway') },
    }[name];
    return { ...base, ...extra };
  }

  async start() {
    for (const name of ['auth', 'user', 'chat', 'gateway', 'frontend']) this.ports[name] = await freePort();
    for (const name of ['auth', 'user', 'chat', 'gateway', 'frontend']) await this.startService(name);
  }

  startService(name) {
    const exe = join(buildDir, 'apps', name, `parley-${name}`);
    if (!existsSync(exe)) throw new Error(`${exe} is not built`);
    const child = spawn(exe, [], { env: this.env(name), stdio: ['ignore', 'ignore', 'pipe'] });
    const entry = { child, log: '' };
    this.processes.set(name, entry);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`${name} did not start:\n${entry.log}`)), 20000);
      child.stderr.on('data', (chunk) => {
        entry.log += chunk.toString();
        if (entry.log.includes('"message":"listening"')) {
          clearTimeout(timer);
          ok();
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        entry.exited = { code, signal };
        fail(new Error(`${name} exited (${code ?? signal}) before listening:\n${entry.log}`));
      });
    });
  }

  // SIGKILL: a crash, not a graceful stop.
  async kill(name) {
    const entry = this.processes.get(name);
    if (!entry || entry.exited) return;
    const gone = new Promise((ok) => entry.child.once('exit', ok));
    entry.child.kill('SIGKILL');
    await gone;
    this.processes.delete(name);
  }

  async stopService(name) {
    const entry = this.processes.get(name);
    if (!entry || entry.exited) return;
    const gone = new Promise((ok) => entry.child.once('exit', ok));
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => entry.child.kill('SIGKILL'), 8000);
    await gone;
    clearTimeout(timer);
    this.processes.delete(name);
  }

  async stop() {
    for (const name of ['frontend', 'gateway', 'chat', 'user', 'auth']) await this.stopService(name);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  logs() {
    return [...this.processes].map(([n, e]) => `--- ${n}\n${e.log.slice(-4000)}`).join('\n');
  }
}
