// The chat page on a phone-sized screen (375 px wide): one row of top bar, the room list and the
// online list as drawers, the composer and its hint whole; and in the dark colour scheme.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleySystem } from './system.mjs';
import {
  assertGlyphs, createRoom, expectOnce, launch, newPage, openAs, person, registered, send,
} from './helpers.mjs';

const system = new ParleySystem();
let browser;
let ann;
let ben;

before(async () => {
  await system.start();
  browser = await launch();
  ann = await registered(system, person('ann'));
  ben = await registered(system, person('ben'));
  await createRoom(system, ann.token, 'Second room');
});

after(async () => {
  if (browser) await browser.close();
  await system.stop();
});

// The element's box lies inside the viewport and shows all of its content (nothing clipped).
async function whole(page, selector) {
  return page.locator(selector).evaluate((n) => {
    const r = n.getBoundingClientRect();
    return {
      inside: r.left >= 0 && r.right <= window.innerWidth + 0.5 && r.top >= 0 && r.bottom <= window.innerHeight + 0.5,
      clipped: n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1,
      height: r.height,
    };
  });
}

for (const scheme of ['light', 'dark']) {
  test(`at 375 px (${scheme}): one-row top bar, drawers for rooms and who is online, the hint whole`, async () => {
    const page = await newPage(browser, { width: 375, height: 740, colorScheme: scheme });
    const other = await newPage(browser);
    await openAs(system, page, ann.token);
    await openAs(system, other, ben.token);
    await page.locator('#room-title', { hasText: 'General' }).waitFor();

    // The top bar is one row: every item on the same line, nothing past the right edge.
    const bar = await page.locator('.topbar').evaluate((b) => {
      const items = [...b.children].filter((c) => c.offsetParent !== null);
      const centres = items.map((c) => c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2);
      return {
        height: b.getBoundingClientRect().height,
        spread: Math.max(...centres) - Math.min(...centres),
        overflow: b.scrollWidth > b.clientWidth,
        right: Math.max(...items.map((c) => c.getBoundingClientRect().right)),
      };
    });
    assert.ok(bar.height <= 56, `top bar ${bar.height} px high`);
    assert.ok(bar.spread < 4 && !bar.overflow && bar.right <= 375, JSON.stringify(bar));
    assert.equal(await page.locator('html').evaluate((h) => h.scrollWidth), 375, 'no sideways scrolling');
    // The room list and the online list are off screen, behind buttons.
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    assert.equal(await page.locator('#online-panel').isVisible(), false);
    // The composer and its hint are whole.
    for (const selector of ['#composer-input', '#send-button', '#composer-hint']) {
      const box = await whole(page, selector);
      assert.ok(box.inside && !box.clipped, `${selector}: ${JSON.stringify(box)}`);
    }

    // Who is online: a drawer from the right, with a count on its button.
    await page.locator('#online-count', { hasText: '2' }).waitFor();
    const onlineToggle = page.getByRole('button', { name: 'Online: 2' });
    await onlineToggle.click();
    assert.equal(await onlineToggle.getAttribute('aria-expanded'), 'true');
    await page.locator('#online-panel.open').waitFor();
    await page.locator('#online-list li', { hasText: ben.username }).waitFor();
    await page.waitForTimeout(250); // the slide
    const panel = await whole(page, '#online-panel');
    assert.ok(panel.inside, JSON.stringify(panel));
    await page.screenshot({ path: `${process.env.PARLEY_E2E_ARTIFACTS || '/tmp'}/narrow-online-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.locator('#online-panel.open').waitFor({ state: 'detached' });
    assert.equal(await onlineToggle.getAttribute('aria-expanded'), 'false');

    // Rooms: a drawer from the left; picking a room closes it and puts the cursor in the box.
    const roomsToggle = page.getByRole('button', { name: 'Rooms', exact: true });
    await roomsToggle.click();
    await page.locator('#sidebar.open').waitFor();
    await page.waitForTimeout(250);
    assert.ok((await whole(page, '#sidebar')).inside);
    await page.locator('#room-list .room-button', { hasText: 'Second room' }).click();
    await page.locator('#room-title', { hasText: 'Second room' }).waitFor();
    await page.locator('#sidebar.open').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement.id === 'composer-input');
    // A tap on the backdrop closes a drawer too.
    await roomsToggle.click();
    await page.locator('#sidebar.open').waitFor();
    await page.mouse.click(360, 400);
    await page.locator('#sidebar.open').waitFor({ state: 'detached' });

    // Chatting works as on a wide screen, and a long word does not widen the page.
    const text = `from a phone ${scheme} ${'x'.repeat(120)}`;
    await send(page, text);
    await expectOnce(page, text);
    assert.equal(await page.locator('html').evaluate((h) => h.scrollWidth), 375);
    await assertGlyphs(page);
    await page.context().close();
    await other.context().close();
  });
}

test('back to a wide window, the drawers are columns again', async () => {
  const page = await newPage(browser, { width: 375, height: 740 });
  await openAs(system, page, ann.token);
  await page.getByRole('button', { name: 'Rooms', exact: true }).click();
  await page.locator('#sidebar.open').waitFor();
  await page.setViewportSize({ width: 1200, height: 760 });
  await page.locator('#sidebar.open').waitFor({ state: 'detached' });
  assert.equal(await page.locator('#sidebar').isVisible(), true);
  assert.equal(await page.locator('#online-panel').isVisible(), true);
  assert.equal(await page.getByRole('button', { name: 'Rooms', exact: true }).isVisible(), false);
  assert.equal(await page.locator('#drawer-backdrop').isVisible(), false);
  await page.context().close();
});
