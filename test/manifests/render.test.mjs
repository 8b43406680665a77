// `kubectl kustomize` renders every kustomization, and every kubectl present renders the same
// objects: the current one of this machine (Kustomize 5) and Debian 12's kubectl 1.20
// (Kustomize 2.0.3, what a bare Debian 12 has; scripts/setup.sh test unpacks it beside another).
// KUBECTL=/path/to/kubectl tests that one alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debianKubectl, id, kubectlVersion, kubectls, overlays, render } from './lib.mjs';

const dirs = [...overlays, 'monitoring'];
const found = kubectls();

test('a kubectl is present', () => {
  assert.ok(found.length > 0, "no kubectl: `scripts/setup.sh test` installs Debian's kubernetes-client");
});

test('CI renders with Debian 12\'s kubectl 1.20 as well as the current one', { skip: !process.env.CI || !!process.env.KUBECTL }, () => {
  const versions = found.map(kubectlVersion);
  assert.ok(versions.some((v) => v.startsWith('v1.20.')), `kubectls: ${found.join(', ')} (${versions.join(', ')}); ${debianKubectl} is unpacked by scripts/setup.sh test`);
});

for (const k of found) {
  const version = kubectlVersion(k);
  for (const dir of dirs) {
    test(`kubectl ${version} renders manifests/${dir}`, () => {
      const objects = render(dir, k);
      assert.ok(objects.length > 0, 'no objects');
      const seen = new Set();
      for (const o of objects) {
        assert.ok(o.apiVersion && o.kind && o.metadata && o.metadata.name, `incomplete object: ${JSON.stringify(o).slice(0, 200)}`);
        const key = `${o.apiVersion} ${id(o)}`;
        assert.ok(!seen.has(key), `twice: ${key}`);
        seen.add(key);
      }
    });
  }
}

// Objects by identity, with keys sorted: the order kustomize emits them in is not part of it.
function canonical(objects) {
  const sortKeys = (v) =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v;
  return Object.fromEntries(objects.map((o) => [`${o.apiVersion} ${id(o)}`, sortKeys(o)]).sort(([a], [b]) => (a < b ? -1 : 1)));
}

if (found.length > 1) {
  for (const dir of dirs) {
    test(`every kubectl renders the same objects from manifests/${dir}`, () => {
      const [first, ...rest] = found;
      for (const k of rest)
        assert.deepEqual(canonical(render(dir, k)), canonical(render(dir, first)), `${k} and ${first} differ`);
    });
  }
}
