// Shared by the manifest tests and the picture generator: where things are, which kubectl
// renders, and plain lookups in the rendered objects. Node 18+ (node: modules only, plus js-yaml).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const buildDir = process.env.PARLEY_BUILD_DIR || join(repo, 'build', 'default');
export const namespace = 'parley';
// Every kustomization a user applies (manifests/<dir>).
export const overlays = ['base', 'overlays/kind', 'overlays/scale'];
// The five services, their names and ports as in the original system.
export const services = { frontend: 8080, gateway: 5000, auth: 5001, user: 5002, chat: 5003 };
// The services that keep state in their own database (PARLEY_<NAME>_DATABASE_URL).
export const stateful = ['auth', 'user', 'chat'];

// Debian 12's kubectl 1.20 (Kustomize 2.0.3), unpacked here by `scripts/setup.sh test` when
// another kubectl is installed, so that both are tested.
export const debianKubectl = join(repo, 'build/tools/kubernetes-client/usr/bin/kubectl');

// The kubectls to render with: $KUBECTL alone when set, else the one on PATH and Debian's.
export function kubectls() {
  if (process.env.KUBECTL) return [process.env.KUBECTL];
  const found = [];
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const candidate = join(dir || '.', 'kubectl');
    if (existsSync(candidate)) {
      found.push(candidate);
      break;
    }
  }
  if (existsSync(debianKubectl)) found.push(debianKubectl);
  const seen = new Set();
  return found.filter((k) => {
    const real = realpathSync(k);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

export function kubectl() {
  const all = kubectls();
  if (all.length === 0)
    throw new Error("no kubectl found: `scripts/setup.sh test` installs Debian's kubernetes-client");
  return all[0];
}

// "v1.20.2" from either output format (1.20 prints a Go struct, current ones a line).
export function kubectlVersion(k) {
  const out = execFileSync(k, ['version', '--client'], { encoding: 'utf8' });
  const m = out.match(/GitVersion:"(v[^"]+)"/) || out.match(/Client Version: (v\S+)/);
  return m ? m[1] : out.trim();
}

// The objects `kubectl kustomize manifests/<dir>` renders (warnings on stderr are dropped).
const rendered = new Map();
export function render(dir, k = kubectl()) {
  const key = `${k}\0${dir}`;
  if (!rendered.has(key)) {
    const out = execFileSync(k, ['kustomize', join(repo, 'manifests', dir)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    rendered.set(key, yaml.loadAll(out).filter((o) => o));
  }
  return structuredClone(rendered.get(key));
}

export function loadYaml(text) {
  return yaml.loadAll(text).filter((o) => o);
}

// The Secrets scripts/k8s/create-secrets.sh would create (its --print mode: no cluster needed).
export function sampleSecrets(k = kubectl()) {
  const out = execFileSync(join(repo, 'scripts/k8s/create-secrets.sh'), ['--print'], {
    encoding: 'utf8',
    env: { ...process.env, KUBECTL: k },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return loadYaml(out);
}

export function secretValue(secrets, name, key) {
  const s = secrets.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  if (!s) return undefined;
  if (s.stringData && key in s.stringData) return s.stringData[key];
  if (s.data && key in s.data) return Buffer.from(s.data[key], 'base64').toString('utf8');
  return undefined;
}

export const id = (o) => `${o.kind}/${o.metadata.name}`;

export function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function ofKind(objects, ...kinds) {
  return objects.filter((o) => kinds.includes(o.kind));
}

export function workloads(objects) {
  return ofKind(objects, 'Deployment', 'StatefulSet');
}

export const podSpec = (w) => w.spec.template.spec;
export const podLabels = (w) => w.spec.template.metadata.labels || {};

// A label selector ({matchLabels, matchExpressions}) against a label map.
export function selects(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// A Service's plain selector map.
export function selectsMap(selector, labels) {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function workloadsSelectedBy(objects, matches) {
  return workloads(objects).filter((w) => matches(podLabels(w)));
}

// The workload of a Service (the one whose pods its selector picks).
export function serviceWorkload(objects, service) {
  const ws = workloadsSelectedBy(objects, (l) => selectsMap(service.spec.selector, l));
  return ws.length === 1 ? ws[0] : undefined;
}

// A container's environment as Kubernetes builds it: envFrom ConfigMaps in order, then env.
// Each entry: { value } or { secret: { name, key } } (or { field } for other valueFrom).
export function containerEnv(objects, container) {
  const env = new Map();
  for (const from of container.envFrom || []) {
    if (from.configMapRef) {
      const cm = find(objects, 'ConfigMap', from.configMapRef.name);
      if (!cm) throw new Error(`envFrom: no ConfigMap ${from.configMapRef.name}`);
      for (const [k, v] of Object.entries(cm.data || {})) env.set((from.prefix || '') + k, { value: v });
    } else if (from.secretRef) {
      env.set(`(all of Secret ${from.secretRef.name})`, { secretRef: from.secretRef.name });
    }
  }
  for (const e of container.env || []) {
    if (e.valueFrom && e.valueFrom.secretKeyRef) env.set(e.name, { secret: e.valueFrom.secretKeyRef });
    else if (e.valueFrom && e.valueFrom.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = find(objects, 'ConfigMap', ref.name);
      env.set(e.name, { value: cm && cm.data ? cm.data[ref.key] : undefined });
    } else if (e.valueFrom) env.set(e.name, { field: e.valueFrom });
    else env.set(e.name, { value: e.value === undefined ? '' : String(e.value) });
  }
  return env;
}

export function mainContainer(w) {
  const spec = podSpec(w);
  return spec.containers.find((c) => c.name === w.metadata.name) || spec.containers[0];
}

// The plain values of a workload's main container environment.
export function envValues(objects, w) {
  const out = {};
  for (const [k, v] of containerEnv(objects, mainContainer(w))) if ('value' in v) out[k] = v.value;
  return out;
}

// "250ms", "10s", "5m", "1h" or a bare number of seconds (docs/configuration.md), in seconds.
export function seconds(text) {
  const m = String(text).trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  return { ms: n / 1000, s: n, m: n * 60, h: n * 3600, undefined: n }[m[2]];
}

// Addresses a service connects to: its *_URL settings (not the *_PUBLIC_URL ones, which are for
// browsers), each possibly a comma-separated list of `scheme://[user[:pass]@]host:port[/path]`
// or `host:port`.
export function connectUrls(env) {
  const out = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_URL') || name.endsWith('_PUBLIC_URL') || !value) continue;
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = item.match(/^(?:([a-z][a-z0-9+.-]*):\/\/)?(?:[^@/]*@)?([^:/,]+):(\d+)/i);
      if (!m) throw new Error(`${name}: not an address: ${item}`);
      out.push({ variable: name, scheme: m[1] || 'http', host: m[2], port: Number(m[3]), text: item });
    }
  }
  return out;
}

// The Service a cluster DNS name means in our namespace: "auth", "auth.parley",
// "auth.parley.svc", "auth.parley.svc.cluster.local".
export function serviceForHost(objects, host) {
  const parts = host.split('.');
  const name = parts[0];
  const rest = parts.slice(1).join('.');
  if (rest && ![namespace, `${namespace}.svc`, `${namespace}.svc.cluster.local`].includes(rest)) return undefined;
  return find(objects, 'Service', name);
}

// The connections the configuration asks for: [{ from, to, port, variable }] where from/to are
// workload names and port is the container port behind the Service port.
export function configuredPaths(objects) {
  const paths = [];
  const problems = [];
  for (const w of workloads(objects)) {
    for (const url of connectUrls(envValues(objects, w))) {
      const svc = serviceForHost(objects, url.host);
      if (!svc) {
        problems.push(`${w.metadata.name} ${url.variable}=${url.text}: no Service ${url.host}`);
        continue;
      }
      const port = (svc.spec.ports || []).find((p) => p.port === url.port);
      if (!port) {
        problems.push(`${w.metadata.name} ${url.variable}=${url.text}: Service ${svc.metadata.name} has no port ${url.port}`);
        continue;
      }
      const target = serviceWorkload(objects, svc);
      if (!target) {
        problems.push(`${w.metadata.name} ${url.variable}: Service ${svc.metadata.name} selects no single workload`);
        continue;
      }
      const targetPort = resolveTargetPort(target, port.targetPort === undefined ? port.port : port.targetPort);
      paths.push({ from: w.metadata.name, to: target.metadata.name, port: targetPort, variable: url.variable });
    }
  }
  return { paths, problems };
}

export function containerPorts(w) {
  const ports = [];
  for (const c of podSpec(w).containers) for (const p of c.ports || []) ports.push(p);
  return ports;
}

export function resolveTargetPort(w, targetPort) {
  if (typeof targetPort === 'number') return targetPort;
  const p = containerPorts(w).find((cp) => cp.name === targetPort);
  return p ? p.containerPort : undefined;
}

// --- NetworkPolicy evaluation (the subset these manifests use, evaluated as the API defines it).

// A pod: { namespace, namespaceLabels, labels, ports: [{containerPort, name, protocol}] }.
export function podOf(w) {
  return {
    name: w.metadata.name,
    namespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
    labels: podLabels(w),
    ports: containerPorts(w),
  };
}

export function externalPod(ns, labels) {
  return { name: `${ns}/${Object.values(labels).join(',')}`, namespace: ns, namespaceLabels: { 'kubernetes.io/metadata.name': ns }, labels, ports: [] };
}

function peerMatches(peer, other, policyNamespace) {
  if (peer.ipBlock) return other.namespace === undefined; // only addresses outside the cluster
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, other.namespaceLabels || {}) || Object.keys(peer.namespaceSelector).length === 0
    : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, other.labels) || isEmptySelector(peer.podSelector) : true;
  return nsOk && podOk;
}

function isEmptySelector(s) {
  return !s || (Object.keys(s.matchLabels || {}).length === 0 && (s.matchExpressions || []).length === 0);
}

function portMatches(rulePorts, port, protocol, target) {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol || 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    let n = p.port;
    if (typeof n === 'string') {
      const named = target.ports.find((cp) => cp.name === n);
      if (!named) return false;
      n = named.containerPort;
    }
    return p.endPort ? port >= n && port <= p.endPort : port === n;
  });
}

function policiesFor(policies, pod, type) {
  return policies.filter(
    (np) =>
      np.metadata.namespace === pod.namespace &&
      (isEmptySelector(np.spec.podSelector) || selects(np.spec.podSelector, pod.labels)) &&
      (np.spec.policyTypes || ['Ingress']).includes(type),
  );
}

// Is a connection from pod `from` to pod `to` on `port` allowed by the policies?
export function allowed(policies, from, to, port, protocol = 'TCP') {
  const egressOk = (() => {
    if (from.namespace !== namespace) return true; // other namespaces: not ours to judge
    const ps = policiesFor(policies, from, 'Egress');
    if (ps.length === 0) return true;
    return ps.some((np) =>
      (np.spec.egress || []).some(
        (r) => (!r.to || r.to.some((peer) => peerMatches(peer, to, np.metadata.namespace))) && portMatches(r.ports, port, protocol, to),
      ),
    );
  })();
  const ingressOk = (() => {
    if (to.namespace !== namespace) return true;
    const ps = policiesFor(policies, to, 'Ingress');
    if (ps.length === 0) return true;
    return ps.some((np) =>
      (np.spec.ingress || []).some(
        (r) => (!r.from || r.from.some((peer) => peerMatches(peer, from, np.metadata.namespace))) && portMatches(r.ports, port, protocol, to),
      ),
    );
  })();
  return egressOk && ingressOk;
}

// Every pod-to-pod connection the policies allow inside the namespace, on the target's ports
// (a workload to itself too: one replica to another).
export function allowedPaths(objects) {
  const policies = ofKind(objects, 'NetworkPolicy');
  const pods = workloads(objects).map(podOf);
  const out = [];
  for (const from of pods)
    for (const to of pods)
      for (const p of to.ports)
        if (allowed(policies, from, to, p.containerPort, p.protocol || 'TCP'))
          out.push({ from: from.name, to: to.name, port: p.containerPort });
  return out;
}

// --- the Dockerfile

// Instructions with continuation lines joined, comments dropped: [{ stage, op, args }].
export function dockerfile(text = readFileSync(join(repo, 'Dockerfile'), 'utf8')) {
  const out = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const [, op, args] = pending.match(/^(\S+)\s*(.*)$/);
    pending = '';
    if (op.toUpperCase() === 'FROM') stage++;
    out.push({ stage, op: op.toUpperCase(), args });
  }
  return out;
}

// The runtime stage's ENV (KEY=value pairs; what every container starts with).
export function imageEnv(instructions = dockerfile()) {
  const last = instructions.filter((i) => i.op === 'FROM').length - 1;
  const env = {};
  for (const i of instructions.filter((x) => x.stage === last && x.op === 'ENV'))
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  return env;
}
