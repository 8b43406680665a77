// The rules a platform engineer checks in review, over the rendered objects of every overlay:
// labels, probes, resources, security context (Pod Security Standard "restricted"), rollouts
// and graceful stops, disruption budgets, autoscalers, state (no SQLite behind replicas),
// secrets (referenced only, and made by scripts/k8s/create-secrets.sh), ports (Service =
// container = PARLEY_PORT) and network paths (NetworkPolicies = the configured URLs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  allowed,
  allowedPaths,
  configuredPaths,
  containerEnv,
  envValues,
  externalPod,
  find,
  id,
  loadYaml,
  mainContainer,
  ofKind,
  overlays,
  podLabels,
  podOf,
  podSpec,
  render,
  repo,
  sampleSecrets,
  seconds,
  selects,
  selectsMap,
  serviceWorkload,
  services,
  stateful,
  workloads,
  workloadsSelectedBy,
} from './lib.mjs';

const secrets = sampleSecrets();
const names = Object.keys(services);

// Collects every violation of a rule, so that one run names them all.
function check(objects, each) {
  const problems = [];
  for (const o of objects) each(o, (message) => problems.push(`${id(o)}: ${message}`));
  assert.deepEqual(problems, []);
}

const pathKey = (p) => `${p.from} -> ${p.to}:${p.port}`;
const hpaFor = (objects, w) =>
  ofKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.kind === w.kind && h.spec.scaleTargetRef.name === w.metadata.name);

for (const overlay of overlays) {
  describe(`manifests/${overlay}`, () => {
    const objects = render(overlay);
    const apps = names.map((n) => find(objects, 'Deployment', n));
    const all = workloads(objects);

    test('the five services are Deployments with a Service each, on the original ports', () => {
      for (const [name, port] of Object.entries(services)) {
        const d = find(objects, 'Deployment', name);
        assert.ok(d, `no Deployment ${name}`);
        const svc = find(objects, 'Service', name);
        assert.ok(svc, `no Service ${name}`);
        assert.equal(serviceWorkload(objects, svc), d, `Service ${name} does not select Deployment ${name} alone`);
        assert.ok(svc.spec.ports.some((p) => p.name === 'http' && p.port === port), `Service ${name} has no http port ${port}`);
      }
      assert.ok(find(objects, 'StatefulSet', 'postgres'), 'no PostgreSQL StatefulSet');
      assert.ok(find(objects, 'Deployment', 'redis'), 'no Redis Deployment');
    });

    test('every object carries the app.kubernetes.io labels', () => {
      check(objects, (o, fail) => {
        const l = o.metadata.labels || {};
        for (const k of ['name', 'instance', 'part-of', 'managed-by'])
          if (!l[`app.kubernetes.io/${k}`]) fail(`no label app.kubernetes.io/${k}`);
        if (l['app.kubernetes.io/part-of'] && l['app.kubernetes.io/part-of'] !== 'parley') fail('part-of is not parley');
        if (o.metadata.namespace === undefined && o.kind !== 'Namespace') fail('no namespace');
      });
      check(all, (w, fail) => {
        const l = podLabels(w);
        for (const k of ['name', 'instance', 'component', 'part-of'])
          if (!l[`app.kubernetes.io/${k}`]) fail(`pods have no label app.kubernetes.io/${k}`);
        if (!selects(w.spec.selector, l)) fail('the selector does not select its own pods');
        const others = all.filter((x) => x !== w && selects(w.spec.selector, podLabels(x)));
        if (others.length) fail(`the selector also selects the pods of ${others.map(id)}`);
      });
      check(apps, (w, fail) => {
        if (!podLabels(w)['app.kubernetes.io/version']) fail('pods have no label app.kubernetes.io/version');
      });
    });

    test('every Service selects exactly one workload, on ports its pods have', () => {
      check(ofKind(objects, 'Service'), (svc, fail) => {
        const w = serviceWorkload(objects, svc);
        if (!w) return fail('selects no single workload');
        const ports = podSpec(w).containers.flatMap((c) => c.ports || []);
        for (const p of svc.spec.ports) {
          const target = p.targetPort === undefined ? p.port : p.targetPort;
          if (!ports.some((cp) => cp.containerPort === target || cp.name === target))
            fail(`port ${p.port} targets ${target}, which ${w.metadata.name}'s pods do not have`);
        }
      });
    });

    test('Service ports = container ports = PARLEY_PORT; metrics = PARLEY_INTERNAL_PORT', () => {
      check(apps, (d, fail) => {
        const name = d.metadata.name;
        const env = envValues(objects, d);
        const c = mainContainer(d);
        const port = (n) => (c.ports || []).find((p) => p.name === n);
        if (Number(env.PARLEY_PORT) !== services[name]) fail(`PARLEY_PORT=${env.PARLEY_PORT}, the service's port is ${services[name]}`);
        if (!port('http') || port('http').containerPort !== Number(env.PARLEY_PORT)) fail('container port "http" is not PARLEY_PORT');
        if (!env.PARLEY_INTERNAL_PORT) fail('PARLEY_INTERNAL_PORT is not set');
        if (!port('metrics') || port('metrics').containerPort !== Number(env.PARLEY_INTERNAL_PORT)) fail('container port "metrics" is not PARLEY_INTERNAL_PORT');
        const svc = find(objects, 'Service', name);
        for (const p of svc.spec.ports) {
          const cp = port(p.name);
          if (!cp) fail(`Service port ${p.name} has no container port of that name`);
          else if (p.port !== cp.containerPort || p.targetPort !== cp.containerPort)
            fail(`Service port ${p.name} ${p.port} -> ${p.targetPort}, container port ${cp.containerPort}`);
        }
        const a = d.spec.template.metadata.annotations || {};
        if (a['prometheus.io/scrape'] !== 'true' || a['prometheus.io/port'] !== env.PARLEY_INTERNAL_PORT || a['prometheus.io/path'] !== '/metrics')
          fail('pods lack prometheus.io scrape annotations for the internal port');
      });
    });

    test('one image for the five services, the service chosen by the command', () => {
      const images = new Set(apps.map((d) => mainContainer(d).image));
      assert.equal(images.size, 1, `images: ${[...images].join(', ')}`);
      check(apps, (d, fail) => {
        const c = mainContainer(d);
        if (JSON.stringify(c.command) !== JSON.stringify([`parley-${d.metadata.name}`])) fail(`command ${JSON.stringify(c.command)}`);
        if (!['IfNotPresent', 'Never'].includes(c.imagePullPolicy)) fail(`imagePullPolicy ${c.imagePullPolicy}`);
      });
      check(all, (w, fail) => {
        for (const c of podSpec(w).containers) if (!/:[\w.-]+$/.test(c.image) || /:latest$/.test(c.image)) fail(`image ${c.image} has no fixed tag`);
      });
    });

    test('probes: startup, readiness on /ready, liveness on /health', () => {
      check(all, (w, fail) => {
        for (const c of podSpec(w).containers)
          for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) if (!c[p]) fail(`container ${c.name} has no ${p}`);
      });
      check(apps, (d, fail) => {
        const c = mainContainer(d);
        const port = Number(envValues(objects, d).PARLEY_PORT);
        const expect = { startupProbe: '/health', readinessProbe: '/ready', livenessProbe: '/health' };
        for (const [probe, path] of Object.entries(expect)) {
          const g = c[probe] && c[probe].httpGet;
          if (!g || g.path !== path) fail(`${probe} is not GET ${path}`);
          else if (g.port !== port && g.port !== 'http') fail(`${probe} is not on PARLEY_PORT`);
        }
        const s = c.startupProbe;
        if (s && (s.periodSeconds || 10) * (s.failureThreshold || 3) < 30) fail('the startup probe gives up before 30s');
        const r = c.readinessProbe;
        if (r && (r.periodSeconds || 10) > 10) fail('readiness is probed less often than every 10s');
      });
    });

    test('resources: CPU and memory requests, a memory limit', () => {
      check(all, (w, fail) => {
        for (const c of podSpec(w).containers) {
          const r = c.resources || {};
          if (!r.requests || !r.requests.cpu || !r.requests.memory) fail(`${c.name}: no cpu/memory requests`);
          if (!r.limits || !r.limits.memory) fail(`${c.name}: no memory limit`);
        }
      });
    });

    test('security context: Pod Security Standard "restricted", read-only root filesystem', () => {
      const ns = find(objects, 'Namespace', 'parley');
      assert.ok(ns, 'no Namespace parley');
      assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
      const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
      check(all, (w, fail) => {
        const spec = podSpec(w);
        const pod = spec.securityContext || {};
        for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k]) fail(`${k}`);
        if (spec.automountServiceAccountToken !== false) fail('mounts a service account token (none is needed)');
        if (spec.enableServiceLinks !== false) fail('enableServiceLinks is not false (injected *_PORT variables)');
        for (const v of spec.volumes || []) {
          const type = Object.keys(v).find((k) => k !== 'name');
          if (!allowedVolumes.includes(type)) fail(`volume ${v.name} is ${type}`);
        }
        for (const c of [...spec.containers, ...(spec.initContainers || [])]) {
          const s = c.securityContext || {};
          const nonRoot = s.runAsNonRoot !== undefined ? s.runAsNonRoot : pod.runAsNonRoot;
          const uid = s.runAsUser !== undefined ? s.runAsUser : pod.runAsUser;
          const seccomp = (s.seccompProfile || pod.seccompProfile || {}).type;
          if (nonRoot !== true) fail(`${c.name}: runAsNonRoot is not true`);
          if (uid === undefined || uid === 0) fail(`${c.name}: no numeric non-root runAsUser`);
          if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) fail(`${c.name}: seccomp profile ${seccomp}`);
          if (s.privileged) fail(`${c.name}: privileged`);
          if (s.allowPrivilegeEscalation !== false) fail(`${c.name}: allowPrivilegeEscalation is not false`);
          const caps = s.capabilities || {};
          if (!(caps.drop || []).includes('ALL')) fail(`${c.name}: capabilities not dropped (ALL)`);
          if ((caps.add || []).some((cap) => cap !== 'NET_BIND_SERVICE')) fail(`${c.name}: adds capabilities ${caps.add}`);
          if (s.readOnlyRootFilesystem !== true) fail(`${c.name}: root filesystem not read-only`);
          for (const p of c.ports || []) if (p.hostPort) fail(`${c.name}: hostPort ${p.hostPort}`);
        }
      });
      // What must be writable is an emptyDir (or a volume): /tmp for the services.
      check(apps, (d, fail) => {
        const spec = podSpec(d);
        const tmp = (mainContainer(d).volumeMounts || []).find((m) => m.mountPath === '/tmp');
        const vol = tmp && (spec.volumes || []).find((v) => v.name === tmp.name);
        if (!vol || !vol.emptyDir) fail('no emptyDir at /tmp (the image\'s PARLEY_DATA_DIR is below it)');
      });
    });

    test('rolling updates never take a replica away; stops leave time for WebSockets to drain', () => {
      check(ofKind(objects, 'Deployment'), (d, fail) => {
        const s = d.spec.strategy || {};
        if (s.type !== 'RollingUpdate' || !s.rollingUpdate || String(s.rollingUpdate.maxUnavailable) !== '0') fail('not RollingUpdate with maxUnavailable 0');
      });
      check(apps, (d, fail) => {
        const env = envValues(objects, d);
        const pre = (mainContainer(d).lifecycle || {}).preStop;
        const cmd = pre && pre.exec && pre.exec.command;
        const preStop = pre && pre.sleep ? Number(pre.sleep.seconds) : cmd && cmd[0] === 'sleep' ? Number(cmd[1]) : NaN;
        if (!(preStop > 0)) return fail('no preStop sleep');
        if (!env.PARLEY_DRAIN_DELAY) return fail('PARLEY_DRAIN_DELAY is not set');
        const needed = preStop + seconds(env.PARLEY_DRAIN_DELAY) + seconds(env.PARLEY_SHUTDOWN_TIMEOUT || '10s');
        const grace = podSpec(d).terminationGracePeriodSeconds;
        if (!(grace >= needed + 5))
          fail(`terminationGracePeriodSeconds ${grace} < preStop ${preStop}s + drain ${env.PARLEY_DRAIN_DELAY} + shutdown ${env.PARLEY_SHUTDOWN_TIMEOUT} + 5s`);
      });
    });

    test('replicas spread over nodes', () => {
      check(apps, (d, fail) => {
        const c = (podSpec(d).topologySpreadConstraints || []).find((t) => t.topologyKey === 'kubernetes.io/hostname');
        if (!c) fail('no topology spread over kubernetes.io/hostname');
        else if (!selects(c.labelSelector, podLabels(d))) fail('the spread constraint does not select its own pods');
      });
    });

    test('a PodDisruptionBudget for every Deployment, and one that allows a drain', () => {
      const pdbs = ofKind(objects, 'PodDisruptionBudget');
      check(ofKind(objects, 'Deployment'), (d, fail) => {
        const mine = pdbs.filter((p) => selects(p.spec.selector, podLabels(d)));
        if (mine.length !== 1) return fail(`${mine.length} PodDisruptionBudgets select its pods`);
        const p = mine[0].spec;
        if (p.maxUnavailable !== undefined ? String(p.maxUnavailable) === '0' : Number(p.minAvailable) >= d.spec.replicas)
          fail('the budget allows no disruption: node drains would block');
        if (d.spec.replicas > 1 && p.maxUnavailable === undefined && p.minAvailable === undefined) fail('empty budget');
      });
      check(pdbs, (p, fail) => {
        if (workloadsSelectedBy(objects, (l) => selects(p.spec.selector, l)).length !== 1) fail('does not select exactly one workload');
      });
    });

    test('an autoscaler for every service, around its replicas', () => {
      check(apps, (d, fail) => {
        const h = hpaFor(objects, d);
        if (!h) return fail('no HorizontalPodAutoscaler');
        const { minReplicas, maxReplicas } = h.spec;
        if (!(minReplicas >= 2 && minReplicas <= d.spec.replicas && d.spec.replicas <= maxReplicas))
          fail(`HPA ${minReplicas}..${maxReplicas} around ${d.spec.replicas} replicas`);
        if (!(h.spec.metrics || []).some((m) => m.resource && m.resource.name === 'cpu')) fail('the HPA does not scale on CPU');
      });
      check(ofKind(objects, 'HorizontalPodAutoscaler'), (h, fail) => {
        if (!find(objects, h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name)) fail('scales nothing that exists');
      });
    });

    test('no stateful service runs more than one replica on SQLite or the in-process bus', () => {
      check(apps, (d, fail) => {
        const name = d.metadata.name;
        const env = envValues(objects, d);
        const h = hpaFor(objects, d);
        const most = Math.max(d.spec.replicas, h ? h.spec.maxReplicas : 0);
        if (!stateful.includes(name)) return;
        if (String(d.spec.replicas) !== env.PARLEY_REPLICAS) fail(`PARLEY_REPLICAS=${env.PARLEY_REPLICAS}, replicas ${d.spec.replicas}`);
        if (most <= 1) return;
        const url = env[`PARLEY_${name.toUpperCase()}_DATABASE_URL`];
        if (!/^postgres(ql)?:\/\//.test(url || '')) fail(`up to ${most} replicas on ${url || 'the default SQLite file'}`);
        if (name === 'chat' && !/^redis:\/\//.test(env.PARLEY_BUS_URL || '')) fail(`up to ${most} replicas on the bus ${env.PARLEY_BUS_URL || '(in-process)'}`);
      });
      // The shared parts themselves are single instances (more would be separate stores/buses).
      for (const [kind, name] of [['StatefulSet', 'postgres'], ['Deployment', 'redis']]) {
        const w = find(objects, kind, name);
        assert.equal(w.spec.replicas, 1, `${kind}/${name} has ${w.spec.replicas} replicas`);
        assert.ok(!hpaFor(objects, w), `${kind}/${name} is autoscaled`);
      }
      const pg = find(objects, 'StatefulSet', 'postgres');
      const claim = (pg.spec.volumeClaimTemplates || []).find((t) => t.metadata.name === 'data');
      assert.ok(claim, 'PostgreSQL has no volume claim "data"');
      assert.ok((mainContainer(pg).volumeMounts || []).some((m) => m.name === 'data'), 'PostgreSQL does not mount its volume');
    });

    test('each service has its own PostgreSQL database, created by the init script', () => {
      const init = find(objects, 'ConfigMap', 'postgres-init');
      assert.ok(init, 'no ConfigMap postgres-init');
      const sql = Object.values(init.data).join('\n');
      const dbs = stateful.map((n) => {
        const url = envValues(objects, find(objects, 'Deployment', n))[`PARLEY_${n.toUpperCase()}_DATABASE_URL`];
        const m = (url || '').match(/^postgres(?:ql)?:\/\/([^:@/]+)@[^/]+\/(\w+)$/);
        assert.ok(m, `${n}: ${url} is not postgres://user@host:port/db (the password comes from PGPASSWORD)`);
        assert.equal(m[1], 'parley');
        assert.match(sql, new RegExp(`CREATE DATABASE ${m[2]};`), `the init script does not create ${m[2]}`);
        return m[2];
      });
      assert.equal(new Set(dbs).size, stateful.length, `databases shared: ${dbs}`);
      const pg = find(objects, 'StatefulSet', 'postgres');
      const mount = mainContainer(pg).volumeMounts.find((m) => m.mountPath === '/docker-entrypoint-initdb.d');
      assert.ok(mount && podSpec(pg).volumes.find((v) => v.name === mount.name).configMap.name === 'postgres-init', 'the init script is not mounted');
      const env = containerEnv(objects, mainContainer(pg));
      assert.equal(env.get('POSTGRES_USER').value, 'parley');
    });

    test('secrets are referenced, never committed, and create-secrets.sh makes every one', () => {
      assert.deepEqual(ofKind(objects, 'Secret').map(id), [], 'Secrets in the manifests');
      const made = (name, key) => {
        const s = secrets.find((o) => o.metadata.name === name);
        return s && (key === undefined || (s.data && key in s.data));
      };
      check(all, (w, fail) => {
        const spec = podSpec(w);
        for (const c of spec.containers) {
          for (const [name, v] of containerEnv(objects, c)) {
            if (v.secret && !made(v.secret.name, v.secret.key)) fail(`${name}: create-secrets.sh makes no ${v.secret.name}/${v.secret.key}`);
            if (v.secretRef) fail(`${name}: whole Secrets as environment (name each variable)`);
            if ('value' in v && /PASSWORD|TOKEN|SECRET|PRIVATE_KEY$/.test(name)) fail(`${name} has a literal value (use a Secret)`);
            if ('value' in v && /:\/\/[^/@:]*:[^/@]*@/.test(v.value)) fail(`${name} has a password in a URL`);
          }
        }
        for (const v of spec.volumes || []) {
          if (!v.secret) continue;
          if (!made(v.secret.secretName)) fail(`volume ${v.name}: create-secrets.sh makes no ${v.secret.secretName}`);
          for (const item of v.secret.items || []) if (!made(v.secret.secretName, item.key)) fail(`volume ${v.name}: no key ${item.key}`);
        }
      });
      check(ofKind(objects, 'ConfigMap'), (cm, fail) => {
        for (const [k, v] of Object.entries(cm.data || {})) {
          if (/PASSWORD|TOKEN|SECRET|PRIVATE_KEY$/.test(k)) fail(`${k} is a secret`);
          if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) fail(`${k} holds a private key`);
        }
      });
    });

    test('only auth mounts the signing key; the key files are where the variables point', () => {
      const signing = secrets.find((s) => s.data && Object.values(s.data).some((b) => Buffer.from(b, 'base64').toString().includes('PRIVATE KEY')));
      assert.ok(signing, 'create-secrets.sh makes no private key');
      check(all, (w, fail) => {
        const spec = podSpec(w);
        const vols = (spec.volumes || []).filter((v) => v.secret && v.secret.secretName === signing.metadata.name);
        const env = containerEnv(objects, mainContainer(w));
        const byEnv = [...env.values()].some((v) => v.secret && v.secret.name === signing.metadata.name);
        if ((vols.length || byEnv) && w.metadata.name !== 'auth') fail(`has the signing key ${signing.metadata.name}`);
        if (w.metadata.name === 'auth' && !vols.length) fail('auth does not mount the signing key');
        // Every *_FILE variable names a file in a mounted Secret that create-secrets.sh fills.
        for (const [name, v] of env) {
          if (!name.endsWith('_FILE') || !('value' in v)) continue;
          const mount = (mainContainer(w).volumeMounts || []).find((m) => v.value.startsWith(m.mountPath + '/'));
          const vol = mount && spec.volumes.find((x) => x.name === mount.name);
          const key = mount && v.value.slice(mount.mountPath.length + 1);
          const s = vol && vol.secret && secrets.find((x) => x.metadata.name === vol.secret.secretName);
          if (!s || !s.data || !(key in s.data)) fail(`${name}=${v.value}: no such key in a mounted Secret`);
        }
      });
      for (const n of ['gateway', 'user', 'chat']) {
        const env = envValues(objects, find(objects, 'Deployment', n));
        assert.ok(env.PARLEY_JWT_PUBLIC_KEY_FILE, `${n} has no public key`);
      }
    });

    test('NetworkPolicy paths = the configured upstream URLs (default deny, DNS for all)', () => {
      const policies = ofKind(objects, 'NetworkPolicy');
      const deny = policies.find(
        (p) => Object.keys(p.spec.podSelector || {}).length === 0 && ['Ingress', 'Egress'].every((t) => (p.spec.policyTypes || []).includes(t)) && !p.spec.ingress && !p.spec.egress,
      );
      assert.ok(deny, 'no default-deny policy (empty podSelector, Ingress and Egress, no rules)');
      const { paths, problems } = configuredPaths(objects);
      assert.deepEqual(problems, []);
      const want = [...new Set(paths.map(pathKey))].sort();
      const have = [...new Set(allowedPaths(objects).map(pathKey))].sort();
      assert.deepEqual(have, want, 'allowed paths (left) differ from configured ones (right)');

      const dns = externalPod('kube-system', { 'k8s-app': 'kube-dns' });
      const ingressController = externalPod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
      const prometheus = externalPod('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
      const internet = { name: 'internet', namespace: undefined, labels: {}, ports: [] };
      check(all, (w, fail) => {
        const pod = podOf(w);
        for (const proto of ['UDP', 'TCP']) if (!allowed(policies, pod, dns, 53, proto)) fail(`cannot reach DNS over ${proto}`);
        if (allowed(policies, pod, internet, 443)) fail('may connect outside the cluster');
        const name = w.metadata.name;
        for (const p of pod.ports) {
          const publicPort = (name === 'frontend' || name === 'gateway') && p.name === 'http';
          if (allowed(policies, ingressController, pod, p.containerPort) !== publicPort)
            fail(`port ${p.containerPort} ${publicPort ? 'not reachable' : 'reachable'} from outside`);
          const metrics = names.includes(name) && p.name === 'metrics';
          if (allowed(policies, prometheus, pod, p.containerPort) !== (metrics || publicPort))
            fail(`port ${p.containerPort}: Prometheus ${metrics ? 'cannot' : 'can'} reach it`);
        }
      });
    });

    test('the Ingress: / to the frontend, /api and /ws to the gateway, WebSocket timeouts', () => {
      const ing = find(objects, 'Ingress', 'parley');
      assert.ok(ing, 'no Ingress parley');
      const a = ing.metadata.annotations || {};
      const idle = seconds(envValues(objects, find(objects, 'Deployment', 'chat')).PARLEY_WS_IDLE_TIMEOUT || '60s');
      for (const k of ['proxy-read-timeout', 'proxy-send-timeout'])
        assert.ok(Number(a[`nginx.ingress.kubernetes.io/${k}`]) > idle, `${k} must outlast a quiet WebSocket (${idle}s)`);
      const routes = {};
      for (const rule of ing.spec.rules) for (const p of rule.http.paths) routes[p.path] = p.backend.service;
      assert.deepEqual(Object.keys(routes).sort(), ['/', '/api', '/ws']);
      for (const [path, target] of [['/', 'frontend'], ['/api', 'gateway'], ['/ws', 'gateway']]) {
        assert.equal(routes[path].name, target, `${path} goes to ${routes[path].name}`);
        assert.equal(routes[path].port.number, services[target], `${path}: port ${routes[path].port.number}`);
      }
    });

    test('the browser side: the gateway address and WebSocket origins match the way in', () => {
      const front = envValues(objects, find(objects, 'Deployment', 'frontend'));
      const gw = envValues(objects, find(objects, 'Deployment', 'gateway'));
      const chat = envValues(objects, find(objects, 'Deployment', 'chat'));
      const nodePorts = ofKind(objects, 'Service').filter((s) => s.spec.type === 'NodePort');
      if (nodePorts.length === 0) {
        const host = find(objects, 'Ingress', 'parley').spec.rules[0].host;
        assert.equal(new URL(front.PARLEY_GATEWAY_PUBLIC_URL).host, host, 'PARLEY_GATEWAY_PUBLIC_URL is not the Ingress host');
        for (const env of [gw, chat]) assert.ok(env.PARLEY_WS_ORIGINS.split(',').some((o) => new URL(o).host === host), 'WebSocket origins lack the Ingress host');
      } else {
        const port = (svc) => nodePorts.find((s) => serviceWorkload(objects, s) === find(objects, 'Deployment', svc)).spec.ports[0].nodePort;
        assert.equal(front.PARLEY_GATEWAY_PUBLIC_URL, undefined, 'a fixed gateway URL (the page host is used)');
        assert.equal(Number(front.PARLEY_GATEWAY_PUBLIC_PORT), port('gateway'), 'PARLEY_GATEWAY_PUBLIC_PORT is not the gateway NodePort');
        for (const env of [gw, chat]) assert.ok(env.PARLEY_WS_ORIGINS.split(',').includes(`http://localhost:${port('frontend')}`), 'WebSocket origins lack the frontend NodePort');
      }
      assert.equal(gw.PARLEY_WS_ORIGINS, chat.PARLEY_WS_ORIGINS, 'gateway and chat allow different WebSocket origins');
    });
  });
}

describe('manifests/overlays/kind', () => {
  const objects = render('overlays/kind');
  test('NodePorts 30080 (frontend) and 30000 (gateway), mapped by the kind cluster config', () => {
    const cluster = loadYaml(readFileSync(join(repo, 'manifests/overlays/kind/kind-cluster.yaml'), 'utf8'))[0];
    assert.equal(cluster.kind, 'Cluster');
    const mapped = cluster.nodes.flatMap((n) => n.extraPortMappings || []);
    for (const [svc, nodePort] of [['frontend', 30080], ['gateway', 30000]]) {
      const s = ofKind(objects, 'Service').find((x) => x.spec.type === 'NodePort' && serviceWorkload(objects, x) === find(objects, 'Deployment', svc));
      assert.ok(s, `no NodePort Service for ${svc}`);
      assert.deepEqual(s.spec.ports.map((p) => [p.nodePort, p.targetPort]), [[nodePort, services[svc]]]);
      assert.ok(mapped.some((m) => m.containerPort === nodePort && m.hostPort === nodePort), `kind-cluster.yaml does not map ${nodePort}`);
    }
  });
  test('the locally loaded image', () => {
    for (const n of names) assert.equal(mainContainer(find(objects, 'Deployment', n)).image, 'parley:dev');
  });
});

describe('manifests/overlays/scale', () => {
  const objects = render('overlays/scale');
  const base = render('base');
  test('chat at 8 replicas, autoscaled up to 20', () => {
    const chat = find(objects, 'Deployment', 'chat');
    assert.equal(chat.spec.replicas, 8);
    assert.equal(hpaFor(objects, chat).spec.maxReplicas, 20);
  });
  test('PostgreSQL and Redis get more than in the base', () => {
    const mem = (q) => Number(q.replace(/Gi$/, '')) * 1024 || Number(q.replace(/Mi$/, ''));
    for (const [kind, name] of [['StatefulSet', 'postgres'], ['Deployment', 'redis']]) {
      const big = mainContainer(find(objects, kind, name)).resources;
      const small = mainContainer(find(base, kind, name)).resources;
      assert.ok(mem(big.limits.memory) > mem(small.limits.memory), `${name}: memory limit ${big.limits.memory}`);
      assert.ok(mem(big.requests.memory) >= mem(small.requests.memory), `${name}: memory request ${big.requests.memory}`);
    }
    const args = mainContainer(find(objects, 'StatefulSet', 'postgres')).args.join(' ');
    const conns = Number(args.match(/max_connections=(\d+)/)[1]);
    assert.ok(conns >= 300, `max_connections=${conns} for 20 chat replicas`);
  });
});

describe('manifests/monitoring', () => {
  test('the ServiceMonitor scrapes the metrics port of the five services', () => {
    const [sm] = render('monitoring');
    const objects = render('base');
    assert.equal(sm.kind, 'ServiceMonitor');
    assert.deepEqual(sm.spec.namespaceSelector.matchNames, ['parley']);
    const picked = ofKind(objects, 'Service').filter((s) => selects(sm.spec.selector, s.metadata.labels || {}));
    assert.deepEqual(picked.map((s) => s.metadata.name).sort(), [...names].sort());
    for (const s of picked) for (const e of sm.spec.endpoints) assert.ok(s.spec.ports.some((p) => p.name === e.port), `${s.metadata.name} has no port ${e.port}`);
    const prometheusPolicy = ofKind(objects, 'NetworkPolicy').find((p) => (p.spec.ingress || []).some((r) => (r.from || []).some((f) => f.namespaceSelector)));
    assert.ok(prometheusPolicy, 'no policy admits Prometheus');
  });
});

// The checks above must be able to fail: a few broken variants of the base.
describe('the checks catch mistakes', () => {
  const base = render('base');
  test('a path the configuration does not use', () => {
    const objects = structuredClone(base);
    find(objects, 'NetworkPolicy', 'auth').spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }], ports: [{ port: 6379 }] });
    find(objects, 'NetworkPolicy', 'redis').spec.ingress[0].from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'auth' } } });
    const have = allowedPaths(objects).map(pathKey);
    assert.ok(have.includes('auth -> redis:6379'));
    assert.ok(!configuredPaths(objects).paths.map(pathKey).includes('auth -> redis:6379'));
  });
  test('a URL the policies do not allow', () => {
    const objects = structuredClone(base);
    find(objects, 'ConfigMap', 'parley-user').data.PARLEY_CHAT_URL = 'http://chat:5003';
    const want = configuredPaths(objects).paths.map(pathKey);
    assert.ok(want.includes('user -> chat:5003'));
    assert.ok(!allowedPaths(objects).map(pathKey).includes('user -> chat:5003'));
  });
  test('a URL to a Service port that does not exist', () => {
    const objects = structuredClone(base);
    find(objects, 'ConfigMap', 'parley-gateway').data.PARLEY_AUTH_URL = 'http://auth:5000';
    assert.match(configuredPaths(objects).problems.join('\n'), /Service auth has no port 5000/);
  });
  test('Services select by labels the Deployment has', () => {
    const objects = structuredClone(base);
    find(objects, 'Service', 'chat').spec.selector['app.kubernetes.io/name'] = 'chats';
    assert.equal(serviceWorkload(objects, find(objects, 'Service', 'chat')), undefined);
    assert.ok(selectsMap(find(base, 'Service', 'chat').spec.selector, podLabels(find(base, 'Deployment', 'chat'))));
  });
});
