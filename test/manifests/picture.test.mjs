// The committed deployment picture (docs/deployment.svg) is what the manifests draw today.
// Regenerate it with scripts/k8s/picture.sh.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { picture, pictureFile } from './picture.mjs';
import { render } from './lib.mjs';

test('docs/deployment.svg is current (scripts/k8s/picture.sh regenerates it)', () => {
  assert.ok(existsSync(pictureFile), `${pictureFile} is missing`);
  assert.equal(readFileSync(pictureFile, 'utf8'), picture(render('base')), 'docs/deployment.svg is out of date: run scripts/k8s/picture.sh');
});

test('the picture shows every workload, its pods and every allowed connection', () => {
  const svg = picture(render('base'));
  for (const n of ['frontend', 'gateway', 'auth', 'user', 'chat', 'postgres', 'redis']) assert.match(svg, new RegExp(`>${n}</text>`));
  assert.equal((svg.match(/<title>[a-z]+ pod \d+<\/title>/g) || []).length, 2 * 5 + 1 + 1);
  assert.equal((svg.match(/marker-end/g) || []).length, 12 + 2); // 12 configured paths, 2 ways in
  // More replicas draw more pods.
  const scaled = picture(render('overlays/scale'), 'manifests/overlays/scale');
  assert.equal((scaled.match(/<title>chat pod \d+<\/title>/g) || []).length, 8);
});
