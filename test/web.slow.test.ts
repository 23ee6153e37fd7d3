/**
 * The browser build in a real Chromium (Debian's package; .ci/run installs it): every golden file and
 * fixture made by Node decodes in the page's worker to exactly Node's bytes and samples; files the page
 * compresses are byte-identical to the CLI's; malformed files are refused with the CLI's codes; the page
 * draws what it decodes, reports errors in words, and asks for nothing off this machine.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitContainers } from '../codec/index.js';
import { compressArchive, decompressArchive } from '../src/archive.js';
import { compress, decompress } from '../src/compress.js';
import { bytesDigest, decodeInPage, encodeInPage, openPage, samplesDigest, type BrowserEntry, type BrowserPage } from '../bench/browser.js';
import { FIXTURES, fixture, fixtureNames } from './helpers.js';

const GOLDEN = new URL('./golden/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('golden.json', GOLDEN), 'utf8')) as Record<string, { golden: string }[]>;
const GOLDEN_FILES = Object.values(golden).flatMap((list) => list.map((g) => g.golden));
const MALFORMED = new URL('./malformed/', import.meta.url);
const malformed = JSON.parse(readFileSync(new URL('expected.json', MALFORMED), 'utf8')) as Record<string, { codes: string[] }>;

/** What Node decodes from a .flz, entry by entry, as the page reports it (data digests; samples as values). */
async function nodeEntries(flz: Uint8Array): Promise<{ kind: string; dataDigest?: string; samplesDigest?: string }[]> {
  const out = [];
  for (const part of splitContainers(flz)) {
    if (part[4] !== undefined && (await isArchive(part))) {
      for (const m of (await decompressArchive(part)).members) {
        const image = m.kind === 'image' && m.method !== 'original';
        // Images come back as PNG files made by different encoders: their samples are what must agree.
        out.push({ kind: m.kind, dataDigest: image ? undefined : bytesDigest(m.data), samplesDigest: image ? samplesDigest(m.samples!) : undefined });
      }
    } else {
      const r = await decompress(part);
      out.push({ kind: r.kind, dataDigest: r.kind === 'image' ? undefined : bytesDigest(r.data), samplesDigest: r.samples ? samplesDigest(r.samples) : undefined });
    }
  }
  return out;
}

async function isArchive(part: Uint8Array): Promise<boolean> {
  const { peekKind } = await import('../codec/index.js');
  return peekKind(part) === 'archive';
}

function expectSame(browser: BrowserEntry[], node: Awaited<ReturnType<typeof nodeEntries>>, what: string): void {
  expect(browser.length, what).toBe(node.length);
  node.forEach((n, i) => {
    expect(browser[i].kind, what).toBe(n.kind);
    if (n.dataDigest) expect(browser[i].dataDigest, `${what} #${i} bytes`).toBe(n.dataDigest);
    if (n.samplesDigest) expect(browser[i].samplesDigest, `${what} #${i} samples`).toBe(n.samplesDigest);
  });
}

describe('the web page in Chromium', () => {
  let web: BrowserPage;
  beforeAll(async () => {
    web = await openPage();
  }, 60_000);
  afterAll(async () => {
    await web?.close();
  });

  it('decodes every golden file (every model, both container versions, archives) to exactly what Node decodes', { timeout: 300_000 }, async () => {
    expect(GOLDEN_FILES.length).toBeGreaterThan(30);
    for (const name of GOLDEN_FILES) {
      const flz = new Uint8Array(readFileSync(new URL(name, GOLDEN)));
      const decoded = await decodeInPage(web.page, flz);
      if ('error' in decoded) throw new Error(`${name}: ${decoded.error.code} ${decoded.error.message}`);
      expectSame(decoded.entries, await nodeEntries(flz), name);
    }
  });

  it('compresses every fixture to exactly the bytes the CLI makes (Brotli candidates included), and Node decodes them', { timeout: 300_000 }, async () => {
    const names = fixtureNames(/\.(png|npy|jpg|txt)$/);
    expect(names.length).toBeGreaterThan(20);
    const methods = new Set<string>();
    for (const name of names) {
      const input = fixture(name);
      const made = await encodeInPage(web.page, input, name);
      methods.add(made.method);
      expect(Buffer.compare(Buffer.from(made.flz), Buffer.from(await compress(input, { name }))), `${name} (${made.model}, ${made.method})`).toBe(0);
      const back = await decompress(made.flz);
      if (back.kind !== 'image') expect(bytesDigest(back.data), name).toBe(bytesDigest(input));
    }
    // The fixtures exercise the model, Brotli (the text) and keeping an image's own file (the JPEG).
    expect([...methods].sort()).toEqual(expect.arrayContaining(['brotli', 'model', 'original']));
  });

  it('compresses at effort 2 and 3 (the wide nets, fetched when first used) to the CLI\'s bytes, also from the page\'s effort menu', { timeout: 120_000 }, async () => {
    for (const name of ['photo-300x72.png', 'rgba-53x31.png'])
      for (const effort of [2, 3]) {
        const input = fixture(name);
        const made = await encodeInPage(web.page, input, name, effort);
        expect(Buffer.compare(Buffer.from(made.flz), Buffer.from(await compress(input, { name, effort }))), `${name} at effort ${effort}`).toBe(0);
      }
    const { page } = web;
    await page.selectOption('#effort', '3');
    await page.setInputFiles('#files', FIXTURES + 'grey-67x53.png');
    const card = await page.waitForSelector('section.card.encoded');
    expect(await card.textContent()).toMatch(/effort 3/);
    const made = await card.$eval('a.download', async (a) => {
      const bytes = new Uint8Array(await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer());
      return Array.from(bytes);
    });
    expect(Buffer.compare(Buffer.from(made), Buffer.from(await compress(fixture('grey-67x53.png'), { name: 'grey-67x53.png', effort: 3 })))).toBe(0);
    await page.selectOption('#effort', '1');
    // The cards the later tests count start from an empty page.
    await page.evaluate(() => document.querySelector('#results')!.replaceChildren());
  });

  it('refuses every malformed file with one of the codes Node gives', { timeout: 120_000 }, async () => {
    for (const [name, { codes }] of Object.entries(malformed)) {
      const decoded = await decodeInPage(web.page, new Uint8Array(readFileSync(new URL(name, MALFORMED))));
      expect('error' in decoded, `${name} decoded`).toBe(true);
      if ('error' in decoded) expect(codes, `${name}: ${decoded.error.message}`).toContain(decoded.error.code);
    }
  });

  it('draws a decoded image on the page, pixel for pixel, and shows errors in words', { timeout: 120_000 }, async () => {
    const { page } = web;
    await page.setInputFiles('#files', `${new URL('photo-rgb.png.flz', GOLDEN).pathname}`);
    const canvas = await page.waitForSelector('section.card[data-kind=image] canvas.preview');
    const expected = await sharp(FIXTURES + 'photo-rgb.png').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width, height } = expected.info;
    // The canvas's content box (inside its 1-pixel border), from the screen as the user sees it.
    const box = await canvas.evaluate((c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left + c.clientLeft + window.scrollX, y: r.top + c.clientTop + window.scrollY, width: c.clientWidth, height: c.clientHeight };
    });
    expect([box.width, box.height]).toEqual([width, height]);
    const shot = await sharp(await page.screenshot({ clip: box, fullPage: true })).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([shot.info.width, shot.info.height]).toEqual([width, height]);
    let differing = 0;
    for (let i = 0; i < width * height * 3; i++) if (Math.abs(shot.data[i] - expected.data[i]) > 0) differing++;
    expect(differing).toBe(0);
    // The heatmap is drawn from the model's own per-pixel bits.
    await page.click('section.card[data-kind=image] button.heatmap');
    await page.waitForSelector('canvas.heat');
    // A file made at effort 3: the card says so, and its heatmap re-codes at that effort.
    await page.setInputFiles('#files', `${new URL('ar/effort3/photo-300x72.png.flz', GOLDEN).pathname}`);
    const e3 = page.locator('section.card[data-kind=image]').first();
    await expect.poll(() => e3.textContent(), { timeout: 30_000 }).toMatch(/ar \(effort 3\)/);
    await e3.locator('button.heatmap').click();
    await e3.locator('canvas.heat').waitFor();
    // So does an archive member coded at effort 3 (the member tells its model and effort).
    const archive = await compressArchive([{ name: 'member-photo.png', bytes: fixture('photo-300x72.png') }], { effort: 3 });
    await page.setInputFiles('#files', { name: 'members.flz', mimeType: 'application/octet-stream', buffer: Buffer.from(archive.bytes) });
    const member = page.locator('section.card[data-kind=image]', { has: page.locator('h2', { hasText: 'member-photo.png' }) });
    await expect.poll(() => member.textContent(), { timeout: 30_000 }).toMatch(/ar \(effort 3\)/);
    await member.locator('button.heatmap').click();
    await member.locator('canvas.heat').waitFor();

    const damaged = new Uint8Array(readFileSync(new URL('photo-rgb.png.flz', GOLDEN)));
    damaged[damaged.length - 20] ^= 0x40;
    await page.setInputFiles('#files', { name: 'damaged.flz', mimeType: 'application/octet-stream', buffer: Buffer.from(damaged) });
    const card = await page.waitForSelector('section.card.error');
    expect(['CHECKSUM', 'CORRUPT']).toContain(await card.getAttribute('data-error-code'));
    expect(await card.textContent()).toMatch(/corrupted|checksum/i);
  });

  it('shows every kind of entry: arrays as plots and pictures, bytes as text, archive members, a kept JPEG', { timeout: 120_000 }, async () => {
    const { page } = web;
    const before = await page.locator('section.card').count();
    const files = ['archive-mixed.flz', 'float32.npy.flz', 'signal/ecg-uint16.npy.flz', 'grid/depth-uint16.npy.flz', 'rgba-53x31.png.flz'];
    await page.setInputFiles('#files', files.map((f) => new URL(f, GOLDEN).pathname));
    // The archive holds three members: seven cards in all.
    await page.waitForFunction((n) => document.querySelectorAll('section.card').length >= n, before + 7);
    const cards = await page.locator('section.card').evaluateAll((all) =>
      all.map((c) => ({ title: c.querySelector('h2')?.textContent, kind: c.getAttribute('data-kind'), preview: !!c.querySelector('canvas.preview'), text: !!c.querySelector('pre.text'), error: c.classList.contains('error') })),
    );
    const shown = new Map(cards.map((c) => [c.title, c]));
    for (const name of ['photo.jpg', 'digits-uint8.npy', 'float32.npy', 'ecg-uint16.npy', 'depth-uint16.npy', 'rgba-53x31.png']) expect(shown.get(name)?.preview, name).toBe(true);
    expect(shown.get('text.txt')?.text).toBe(true);
    expect(cards.some((c) => c.error && c.title !== 'damaged.flz')).toBe(false);
    expect(web.errors).toEqual([]);
  });

  it('asks for nothing but its own files on loopback', () => {
    expect(web.requests.length).toBeGreaterThan(3);
    for (const url of web.requests) expect(url.startsWith(web.url) || url.startsWith('blob:') || url.startsWith('data:'), url).toBe(true);
  });
});
