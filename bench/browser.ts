/**
 * Flowzip's page in a real Chromium (Debian's, driven by playwright-core): what the browser tests and
 * the bench's browser section share. The page is served from web/ on loopback; files go in and out as
 * base64, and decoded samples come back as SHA-256 digests (of their values as float64, so that every
 * sample type compares alike), to be compared with Node's.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../models/shared/assets.js';
import type { Browser, Page, Request } from 'playwright-core';

export const WEB_DIR = join(packageRoot(), 'web') + '/';

/** Where Chromium is: FLOWZIP_CHROMIUM, else Debian's package (`apt-get install chromium`). */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.FLOWZIP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p));
}

/**
 * Flags for a headless Chromium on a machine with no network: no sandbox (root in CI), and none of
 * the background services that would try to reach Google.
 */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserPage {
  page: Page;
  url: string;
  /** Every URL the page asked for (the page must make no request off loopback). */
  requests: string[];
  /** Uncaught errors in the page or its worker, and console errors. */
  errors: string[];
  close(): Promise<void>;
}

/** The web page in a fresh headless Chromium, served from web/ (built: web/dist) on a free loopback port. */
export async function openPage(): Promise<BrowserPage> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium: apt-get install chromium (or set FLOWZIP_CHROMIUM to its path)');
  if (!existsSync(`${WEB_DIR}dist/page.js`)) throw new Error('web/dist is not built: npm run build');
  const { chromium } = await import('playwright-core');
  const { serve } = (await import(pathToFileURL(`${WEB_DIR}serve.mjs`).href)) as { serve(dir: string, port: number): Promise<{ server: import('node:http').Server; url: string }> };
  const { server, url } = await serve(WEB_DIR, 0);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r: Request) => void requests.push(r.url()));
    page.on('pageerror', (e) => void errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]');
    const opened = browser;
    return { page, url, requests, errors, close: async () => void (await opened.close(), server.close()) };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}

/** SHA-256 of samples' values as float64 (Node's side of what the page reports). */
export function samplesDigest(samples: ArrayLike<number>): string {
  return createHash('sha256').update(new Uint8Array(Float64Array.from(samples).buffer)).digest('hex');
}

export function bytesDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface BrowserEntry {
  name?: string;
  kind: string;
  method: string;
  model: string | null;
  shape?: number[];
  dtype?: string;
  dataDigest: string;
  samplesDigest?: string;
}

/** Decode a .flz in the page's worker: every entry's digests, or the error the page reports. */
export async function decodeInPage(page: Page, flz: Uint8Array, repeats = 1): Promise<{ entries: BrowserEntry[]; decodeMs: number[] } | { error: { code: string; message: string; exitStatus: number } }> {
  return page.evaluate(
    async ({ b64, repeats }) => {
      const hex = async (bytes: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const client = (window as unknown as { flowzip: { decode(b: Uint8Array): Promise<{ entries: Array<Record<string, unknown>>; decodeMs: number }> } }).flowzip;
      try {
        const times: number[] = [];
        let decoded!: { entries: Array<Record<string, unknown>>; decodeMs: number };
        for (let r = 0; r < repeats; r++) {
          decoded = await client.decode(bytes.slice());
          times.push(decoded.decodeMs);
        }
        const entries = [];
        for (const e of decoded.entries) {
          const samples = e.samples as ArrayLike<number> | undefined;
          entries.push({
            name: e.name as string | undefined, kind: e.kind as string, method: e.method as string, model: e.model as string | null,
            shape: e.shape as number[] | undefined, dtype: e.dtype as string | undefined,
            dataDigest: await hex(e.data as Uint8Array),
            samplesDigest: samples ? await hex(new Uint8Array(Float64Array.from(samples).buffer)) : undefined,
          });
        }
        return { entries, decodeMs: times };
      } catch (e) {
        return { error: (e as { detail?: { code: string; message: string; exitStatus: number } }).detail ?? { code: 'PAGE', message: String(e), exitStatus: -1 } };
      }
    },
    { b64: Buffer.from(flz).toString('base64'), repeats },
  );
}

/** Compress a file in the page's worker: the .flz it makes. */
export async function encodeInPage(page: Page, file: Uint8Array, name: string, effort?: number): Promise<{ flz: Uint8Array; method: string; model: string }> {
  const r = await page.evaluate(
    async ({ b64, name, effort }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const client = (window as unknown as { flowzip: { encode(b: Uint8Array, n: string, p?: unknown, e?: number): Promise<{ flz: Uint8Array; report: { method: string; model: string } }> } }).flowzip;
      const { flz, report } = await client.encode(bytes, name, undefined, effort);
      let binary = '';
      for (let i = 0; i < flz.length; i += 0x8000) binary += String.fromCharCode(...flz.subarray(i, i + 0x8000));
      return { flz: btoa(binary), method: report.method, model: report.model };
    },
    { b64: Buffer.from(file).toString('base64'), name, effort },
  );
  return { flz: new Uint8Array(Buffer.from(r.flz, 'base64')), method: r.method, model: r.model };
}
