// Every rendered object validates against the Kubernetes API schema (npm kubernetes-models,
// generated from the Kubernetes OpenAPI), and the ServiceMonitor of manifests/monitoring against
// the Prometheus Operator's (@kubernetes-models/prometheus-operator).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { id, overlays, render } from './lib.mjs';

const require = createRequire(import.meta.url);

// apiVersion "apps/v1", kind "Deployment" -> kubernetes-models/apps/v1/Deployment.
function model(o) {
  const group = o.apiVersion.includes('/') ? o.apiVersion : o.apiVersion; // core: "v1"
  const candidates = [`kubernetes-models/${group}/${o.kind}`];
  if (o.apiVersion.startsWith('monitoring.coreos.com/')) candidates.unshift(`@kubernetes-models/prometheus-operator/${group}/${o.kind}`);
  for (const c of candidates) {
    try {
      return require(c)[o.kind];
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return undefined;
}

function problems(objects) {
  const out = [];
  for (const o of objects) {
    const Model = model(o);
    if (!Model) {
      out.push(`${o.apiVersion} ${id(o)}: no schema for this apiVersion/kind`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      out.push(`${o.apiVersion} ${id(o)}: ${e.message}`);
    }
  }
  return out;
}

for (const dir of [...overlays, 'monitoring']) {
  test(`every object of manifests/${dir} matches its schema`, () => {
    assert.deepEqual(problems(render(dir)), []);
  });
}

test('the schema check finds a broken object', () => {
  const [deployment] = render('base').filter((o) => o.kind === 'Deployment');
  deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  delete deployment.spec.selector;
  const found = problems([deployment]);
  assert.equal(found.length, 1);
  assert.match(found[0], /containerPort must be integer|must have required property 'selector'/);
});
