/**
 * The page: drop or pick files. A .flz is decoded in the worker and shown (images drawn, arrays as a
 * plot or a picture, bytes as text), with what the file costs and a download of what it restores; any
 * other file is compressed in the worker and offered as a .flz. Nothing leaves the machine.
 */
import { hasFlzMagic } from '../../codec/container.js';
import { FlowzipClient, FlowzipPageError } from './client.js';
import type { DecodedEntry } from './flowzip-web.js';
import { heatmapColour, previewRgba, type Preview } from './preview.js';

const client = new FlowzipClient(new URL('./worker.js', import.meta.url));
(window as unknown as { flowzip: FlowzipClient }).flowzip = client;

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const results = $<HTMLElement>('#results');
const progressBar = $<HTMLProgressElement>('#progress');
const status = $<HTMLElement>('#status');
const effort = $<HTMLSelectElement>('#effort');

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function download(bytes: Uint8Array, name: string, label: string): HTMLAnchorElement {
  const link = element('a', { download: name, class: 'download' }, label);
  link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  return link;
}

const kib = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

function facts(rows: [string, string][]): HTMLElement {
  const list = element('dl', { class: 'facts' });
  for (const [k, v] of rows) list.append(element('dt', {}, k), element('dd', {}, v));
  return list;
}

function showError(title: string, e: unknown): void {
  const detail = e instanceof FlowzipPageError ? e.detail : { code: 'INTERNAL', message: String((e as Error)?.message ?? e), exitStatus: 1 };
  const card = element('section', { class: 'card error', 'data-error-code': detail.code });
  card.append(element('h2', {}, title), element('p', {}, detail.message), element('p', { class: 'code' }, `${detail.code} (the CLI exits with status ${detail.exitStatus})`));
  results.prepend(card);
}

function canvasOf(preview: Preview): HTMLCanvasElement {
  const canvas = element('canvas', { width: String(preview.width), height: String(preview.height), class: 'preview' });
  canvas.getContext('2d')!.putImageData(new ImageData(preview.rgba as Uint8ClampedArray<ArrayBuffer>, preview.width, preview.height), 0, 0);
  return canvas;
}

function entryCard(entry: DecodedEntry, file: string, extra: [string, string][], onHeatmap?: () => Promise<Float32Array | undefined>): HTMLElement {
  const card = element('section', { class: 'card', 'data-kind': entry.kind });
  card.append(element('h2', {}, entry.name ?? file));
  const shape = entry.shape ? `${entry.shape.join(' × ')} ${entry.dtype}` : `${entry.data.length} bytes`;
  card.append(
    facts([
      ['kind', entry.kind],
      ['shape', shape],
      ['model', entry.model && entry.effort !== undefined && entry.effort > 1 ? `${entry.model} (effort ${entry.effort})` : entry.model ?? '—'],
      ['method', entry.method],
      ['bits/dim', entry.bitsPerDim.toFixed(3)],
      ...extra,
    ]),
  );
  const preview = previewRgba(entry);
  if (preview) {
    const figure = element('figure');
    const canvas = canvasOf(preview);
    figure.append(canvas);
    if (preview.caption) figure.append(element('figcaption', {}, preview.caption));
    card.append(figure);
    if (onHeatmap && entry.kind === 'image' && entry.shape) {
      const [height, width] = entry.shape;
      const toggle = element('button', { type: 'button', class: 'heatmap' }, 'bits heatmap');
      let heat: HTMLCanvasElement | undefined;
      toggle.onclick = async () => {
        if (heat) {
          heat.hidden = !heat.hidden;
          return;
        }
        toggle.disabled = true;
        try {
          const bits = await onHeatmap();
          if (!bits) throw new Error('the model gives no per-pixel bits');
          heat = canvasOf({ width, height, rgba: heatmapColour(bits) });
          heat.classList.add('heat');
          heat.title = 'bits per pixel: black 0, red, yellow, white at the 99th percentile';
          canvas.after(heat);
        } catch (e) {
          showError(`${entry.name ?? file}: heatmap`, e);
        } finally {
          toggle.disabled = false;
        }
      };
      card.append(toggle);
    }
  } else if (entry.kind === 'bytes') {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(entry.data.subarray(0, 2000));
    card.append(element('pre', { class: 'text' }, text + (entry.data.length > 2000 ? '…' : '')));
  }
  const restored = entry.name ?? `restored.${entry.format}`;
  const name = entry.kind === 'image' && entry.format === 'png' && !restored.toLowerCase().endsWith('.png') ? `${restored}.png` : restored;
  card.append(download(entry.data, name, `download ${name}`));
  return card;
}

async function withProgress<T>(label: string, run: (progress: (f: number) => void) => Promise<T>): Promise<T> {
  status.textContent = label;
  progressBar.hidden = false;
  progressBar.value = 0;
  try {
    return await run((f) => (progressBar.value = f));
  } finally {
    progressBar.hidden = true;
    status.textContent = '';
  }
}

async function openFlz(file: File, bytes: Uint8Array): Promise<void> {
  const decoded = await withProgress(`decoding ${file.name}`, (p) => client.decode(bytes, p));
  const mbps = (decoded.entries.reduce((a, e) => a + e.data.length, 0) / 1e6 / (decoded.decodeMs / 1000)).toFixed(2);
  for (const entry of decoded.entries.slice().reverse()) {
    const extra: [string, string][] = [
      ['in the .flz', kib(Math.round(entry.fileBytes))],
      ['decoded in', `${decoded.decodeMs.toFixed(0)} ms (${mbps} MB/s)`],
    ];
    // Re-coded with the file's model at the effort it was written with (what it spent, pixel by pixel).
    // Archive members coded by a model ('payload': into their own bytes) too.
    const heatmap = entry.model && (entry.method === 'model' || entry.method === 'payload') && !entry.model.startsWith('path:') ? () => client.heatmap(entry.data, entry.model!, undefined, entry.effort) : undefined;
    results.prepend(entryCard(entry, file.name, extra, heatmap));
  }
}

async function compressFile(file: File, bytes: Uint8Array): Promise<void> {
  const level = Number(effort.value);
  const encoded = await withProgress(`compressing ${file.name}${level > 1 ? ` at effort ${level}` : ''}`, (p) => client.encode(bytes, file.name, p, level));
  const { report, flz } = encoded;
  const decoded = await withProgress(`checking ${file.name}.flz`, (p) => client.decode(flz, p));
  const entry = decoded.entries[0];
  const card = entryCard({ ...entry, name: `${file.name}.flz` }, file.name, [
    ['original', kib(bytes.length)],
    ['.flz', `${kib(flz.length)} (${((100 * flz.length) / bytes.length).toFixed(1)}%)`],
    ['encoded in', `${encoded.encodeMs.toFixed(0)} ms (effort ${level})`],
    ...(report.note ? ([['note', report.note]] as [string, string][]) : []),
  ]);
  card.classList.add('encoded');
  card.querySelector('a.download')?.remove();
  card.append(download(flz, `${file.name}.flz`, `download ${file.name}.flz`));
  results.prepend(card);
}

async function handleFiles(files: Iterable<File>): Promise<void> {
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const isFlz = hasFlzMagic(bytes);
    try {
      await (isFlz ? openFlz(file, bytes) : compressFile(file, bytes));
    } catch (e) {
      showError(file.name, e);
    }
  }
}

const input = $<HTMLInputElement>('#files');
input.onchange = () => void handleFiles(input.files ?? []);
const zone = $<HTMLElement>('#drop');
zone.ondragover = (e) => {
  e.preventDefault();
  zone.classList.add('over');
};
zone.ondragleave = () => zone.classList.remove('over');
zone.ondrop = (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  void handleFiles(e.dataTransfer?.files ?? []);
};
document.body.dataset.ready = 'true';
