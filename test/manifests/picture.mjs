// The deployment picture: an SVG drawn from the rendered manifests (not by hand): every workload
// with its kind, replicas, autoscaling range and ports, one square per pod, and an arrow for each
// connection the NetworkPolicies allow (which policy.test.mjs proves are exactly the configured
// *_URL addresses), plus the public ways in.
//
//   node test/manifests/picture.mjs    writes docs/deployment.svg from manifests/base
//   scripts/k8s/picture.sh             the same, installing the npm packages first
// test/manifests/picture.test.mjs fails when the committed picture is not what this draws.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  allowed,
  allowedPaths,
  configuredPaths,
  containerPorts,
  envValues,
  externalPod,
  find,
  ofKind,
  podOf,
  render,
  repo,
  serviceWorkload,
  workloads,
} from './lib.mjs';

export const pictureFile = join(repo, 'docs', 'deployment.svg');

const W = 250; // box width
const H = 96; // box height
const GAP_X = 60;
const GAP_Y = 96;
const TOP = 166; // below the title and the clients box
const CLIENT_H = 54;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function describeWorkload(objects, w) {
  const hpa = ofKind(objects, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.kind === w.kind && h.spec.scaleTargetRef.name === w.metadata.name);
  const replicas = w.spec.replicas === undefined ? 1 : w.spec.replicas;
  let line = `${w.kind}, ${replicas} ${replicas === 1 ? 'replica' : 'replicas'}`;
  if (hpa) line += ` (autoscaled ${hpa.spec.minReplicas}\u2013${hpa.spec.maxReplicas})`;
  const claims = (w.spec.volumeClaimTemplates || []).map((c) => c.spec.resources.requests.storage);
  if (claims.length) line += `, ${claims.join(' + ')} volume`;
  const ports = containerPorts(w).map((p) => `${p.name} ${p.containerPort}`);
  const services = ofKind(objects, 'Service').filter((s) => serviceWorkload(objects, s) === w && s.spec.type !== 'NodePort');
  return { replicas, line, ports: `${services.map((s) => `Service ${s.metadata.name}`).join(', ')}: ${ports.join(', ')}` };
}

// Layers: the public workloads first, then whatever they reach, and so on.
function layers(names, edges, entry) {
  const depth = new Map(entry.map((n) => [n, 0]));
  let frontier = [...entry];
  while (frontier.length) {
    const next = [];
    for (const n of frontier)
      for (const e of edges)
        if (e.from === n && !depth.has(e.to)) {
          depth.set(e.to, depth.get(n) + 1);
          next.push(e.to);
        }
    frontier = next;
  }
  const maxDepth = Math.max(0, ...depth.values());
  for (const n of names) if (!depth.has(n)) depth.set(n, maxDepth + 1);
  const out = [];
  for (const n of [...names].sort()) {
    const d = depth.get(n);
    (out[d] = out[d] || []).push(n);
  }
  return out.filter(Boolean);
}

export function picture(objects, title = 'manifests/base') {
  const all = workloads(objects).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const names = all.map((w) => w.metadata.name);
  const byName = new Map(all.map((w) => [w.metadata.name, w]));

  // Connections: allowed by the policies; labelled with the configured URL's scheme.
  const configured = configuredPaths(objects).paths;
  const edges = [];
  for (const p of allowedPaths(objects)) {
    const c = configured.find((x) => x.from === p.from && x.to === p.to && x.port === p.port);
    const scheme = c ? envScheme(objects, c) || 'http' : 'tcp';
    const key = `${p.from}>${p.to}>${p.port}`;
    if (!edges.some((e) => e.key === key)) edges.push({ key, from: p.from, to: p.to, label: `${scheme} ${p.port}` });
  }
  edges.sort((a, b) => (a.key < b.key ? -1 : 1));

  // Public ways in: pods reachable from outside the namespace, with the Ingress paths to them.
  const outside = externalPod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
  const policies = ofKind(objects, 'NetworkPolicy');
  const ingress = ofKind(objects, 'Ingress');
  const publicIn = [];
  for (const w of all)
    for (const p of podOf(w).ports)
      if (allowed(policies, outside, podOf(w), p.containerPort)) {
        const paths = [];
        for (const ing of ingress)
          for (const r of ing.spec.rules || [])
            for (const hp of r.http.paths) {
              const svc = find(objects, 'Service', hp.backend.service.name);
              if (svc && serviceWorkload(objects, svc) === w) paths.push(hp.path);
            }
        const nodePorts = ofKind(objects, 'Service')
          .filter((s) => s.spec.type === 'NodePort' && serviceWorkload(objects, s) === w)
          .flatMap((s) => s.spec.ports.map((sp) => `NodePort ${sp.nodePort}`));
        publicIn.push({ to: w.metadata.name, label: [paths.sort().join(' '), ...nodePorts].filter(Boolean).join(', ') + ` \u2192 ${p.containerPort}` });
      }

  const rows = layers(names, edges, publicIn.map((p) => p.to).filter((n, i, a) => a.indexOf(n) === i));
  const widest = Math.max(...rows.map((r) => r.length));
  const width = Math.max(widest * W + (widest - 1) * GAP_X + 80, 900);
  const pos = new Map();
  rows.forEach((row, d) => {
    const rowWidth = row.length * W + (row.length - 1) * GAP_X;
    row.forEach((n, i) => pos.set(n, { x: (width - rowWidth) / 2 + i * (W + GAP_X), y: TOP + d * (H + GAP_Y), row: d, index: i }));
  });
  const height = TOP + rows.length * (H + GAP_Y) - GAP_Y + 70;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, Arial, sans-serif">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>');
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="40" y="34" font-size="18" font-weight="bold" fill="#222">Parley on Kubernetes (${esc(title)})</text>`);
  out.push(`<text x="40" y="54" font-size="11" fill="#555">Drawn from the rendered manifests by scripts/k8s/picture.sh (do not edit). Arrows: every connection the NetworkPolicies allow,</text>`);
  out.push(`<text x="40" y="68" font-size="11" fill="#555">which are exactly the addresses the services are configured with (*_URL); everything else is denied.</text>`);

  // The clients, and the public ways in.
  const cx = 40;
  const cy = 86;
  out.push(`<rect x="${cx}" y="${cy}" width="${width - 80}" height="${CLIENT_H}" rx="10" fill="#f4f4f4" stroke="#999" stroke-dasharray="4 3"/>`);
  const hosts = ingress.flatMap((i) => (i.spec.rules || []).map((r) => r.host).filter(Boolean));
  out.push(`<text x="${cx + 14}" y="${cy + 22}" font-size="13" font-weight="bold" fill="#333">Browsers</text>`);
  out.push(`<text x="${cx + 14}" y="${cy + 40}" font-size="11" fill="#555">${esc(`through the Ingress${hosts.length ? ` (${hosts.join(', ')})` : ''}: one origin for the app, the API and the WebSocket`)}</text>`);
  const lines = [];
  const labels = [];
  for (const p of publicIn.sort((a, b) => (a.to < b.to ? -1 : 1))) {
    const t = pos.get(p.to);
    const x = t.x + W / 2;
    lines.push(`<path d="M${x},${cy + CLIENT_H} L${x},${t.y}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>`);
    labels.push(label(x, (cy + CLIENT_H + t.y) / 2, p.label));
  }

  // Arrows between workloads: out of the bottom and into the top, spread along the edges.
  const outgoing = new Map();
  const incoming = new Map();
  for (const e of edges) {
    if (pos.get(e.from).row === pos.get(e.to).row) continue;
    (outgoing.get(e.from) || outgoing.set(e.from, []).get(e.from)).push(e);
    (incoming.get(e.to) || incoming.set(e.to, []).get(e.to)).push(e);
  }
  const spread = (list, e, n) => (list.indexOf(e) + 1) / (n + 1);
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (a.row === b.row) {
      // Side by side: a straight arrow between facing sides; further apart: an arc below.
      const leftToRight = a.index < b.index;
      if (Math.abs(a.index - b.index) === 1) {
        const y = a.y + H / 2;
        const x1 = leftToRight ? a.x + W : a.x;
        const x2 = leftToRight ? b.x : b.x + W;
        lines.push(`<path d="M${x1},${y} L${x2},${y}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>`);
        labels.push(label((x1 + x2) / 2, y - 12, e.label));
      } else {
        const x1 = a.x + W / 2;
        const x2 = b.x + W / 2;
        const y = a.y + H;
        lines.push(`<path d="M${x1},${y} C${x1},${y + 60} ${x2},${y + 60} ${x2},${y}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>`);
        labels.push(label((x1 + x2) / 2, y + 46, e.label));
      }
      continue;
    }
    const outs = outgoing.get(e.from);
    const ins = incoming.get(e.to);
    const x1 = a.x + W * spread(outs, e, outs.length);
    const y1 = a.y + H;
    const x2 = b.x + W * spread(ins, e, ins.length);
    const y2 = b.y;
    const my = (y1 + y2) / 2;
    lines.push(`<path d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}" fill="none" stroke="#555" stroke-width="1.4" marker-end="url(#arrow)"/>`);
    // The label a third of the way, where arrows leaving one box are still apart.
    const t = 0.35;
    const bx = (1 - t) ** 3 * x1 + 3 * (1 - t) ** 2 * t * x1 + 3 * (1 - t) * t * t * x2 + t ** 3 * x2;
    const by = (1 - t) ** 3 * y1 + 3 * (1 - t) ** 2 * t * my + 3 * (1 - t) * t * t * my + t ** 3 * y2;
    labels.push(label(bx, by, e.label));
  }
  out.push(...lines);

  // The workloads, one square per pod.
  for (const n of names) {
    const w = byName.get(n);
    const { x, y } = pos.get(n);
    const d = describeWorkload(objects, w);
    const store = w.metadata.labels && ['database', 'bus'].includes(w.metadata.labels['app.kubernetes.io/component']);
    const [fill, stroke] = store ? ['#fff4e5', '#c77d1a'] : ['#eef4ff', '#4a6fa5'];
    out.push(`<g><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`);
    out.push(`<text x="${x + 12}" y="${y + 20}" font-size="14" font-weight="bold" fill="#222">${esc(n)}</text>`);
    out.push(`<text x="${x + 12}" y="${y + 38}" font-size="10.5" fill="#444">${esc(d.line)}</text>`);
    out.push(`<text x="${x + 12}" y="${y + 54}" font-size="10.5" fill="#444">${esc(d.ports)}</text>`);
    for (let i = 0; i < d.replicas; i++)
      out.push(`<rect x="${x + 12 + i * 30}" y="${y + 64}" width="24" height="20" rx="3" fill="${stroke}"><title>${esc(`${n} pod ${i + 1}`)}</title></rect>`);
    out.push('</g>');
  }
  out.push(...labels);
  const prometheus = names.filter((n) => {
    const w = byName.get(n);
    const metrics = podOf(w).ports.find((p) => p.name === 'metrics');
    return metrics && allowed(policies, externalPod('monitoring', { 'app.kubernetes.io/name': 'prometheus' }), podOf(w), metrics.containerPort);
  });
  const legendY = height - 26;
  out.push(`<rect x="40" y="${legendY - 10}" width="14" height="12" rx="2" fill="#4a6fa5"/><text x="60" y="${legendY}" font-size="11" fill="#444">one pod</text>`);
  out.push(`<text x="130" y="${legendY}" font-size="11" fill="#444">${esc(`Prometheus (namespace monitoring) scrapes the metrics port of ${prometheus.join(', ')}.`)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function label(x, y, text) {
  const w = text.length * 6.2 + 10;
  return `<g><rect x="${(x - w / 2).toFixed(1)}" y="${(y - 9).toFixed(1)}" width="${w.toFixed(1)}" height="16" rx="3" fill="#ffffff" fill-opacity="0.92"/><text x="${x.toFixed(1)}" y="${(y + 3).toFixed(1)}" font-size="10.5" text-anchor="middle" fill="#333">${esc(text)}</text></g>`;
}

// The scheme of the configured URL behind a path ("http", "postgres", "redis").
function envScheme(objects, path) {
  const w = workloads(objects).find((x) => x.metadata.name === path.from);
  const v = envValues(objects, w)[path.variable] || '';
  return v.includes('://') ? v.split('://')[0].replace(/ql$/, '') : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(pictureFile, picture(render('base')));
  console.log(`wrote ${pictureFile}`);
}
