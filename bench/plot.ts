/** A small dependency-free SVG scatter plot: bits/dim against compress throughput (log scale). */
import type { CodecResult } from './bench.js';

const WIDTH = 860;
const HEIGHT = 520;
const MARGIN = { left: 70, right: 250, top: 40, bottom: 60 };
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666', '#1f78b4', '#b2df8a', '#fb9a99'];
const SHAPES = ['circle', 'square', 'triangle'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderPlot(results: CodecResult[]): string {
  const codecs = [...new Set(results.map((r) => r.codec))];
  const datasets = [...new Set(results.map((r) => r.dataset))];
  const xs = results.map((r) => Math.log10(r.compressMBPerS!));
  const ys = results.map((r) => r.pooledBitsPerDim);
  const [x0, x1] = [Math.floor(Math.min(...xs)), Math.ceil(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.min(...ys) * 2) / 2, Math.ceil(Math.max(...ys) * 2) / 2];
  const px = (v: number) => MARGIN.left + ((v - x0) / Math.max(1e-9, x1 - x0)) * (WIDTH - MARGIN.left - MARGIN.right);
  const py = (v: number) => HEIGHT - MARGIN.bottom - ((v - y0) / Math.max(1e-9, y1 - y0)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2 - 100}" y="22" font-size="15">Lossless: bits/dim vs compress speed</text>`,
  ];
  for (let d = x0; d <= x1; d++) {
    out.push(`<line x1="${px(d)}" y1="${MARGIN.top}" x2="${px(d)}" y2="${HEIGHT - MARGIN.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${px(d) - 12}" y="${HEIGHT - MARGIN.bottom + 18}">${10 ** d >= 1 ? 10 ** d : (10 ** d).toFixed(Math.abs(d))}</text>`);
  }
  for (let v = y0; v <= y1 + 1e-9; v += 0.5) {
    out.push(`<line x1="${MARGIN.left}" y1="${py(v)}" x2="${WIDTH - MARGIN.right}" y2="${py(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 34}" y="${py(v) + 4}">${v.toFixed(1)}</text>`);
  }
  out.push(`<text x="${(WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 18}">compress MB/s of raw samples (log)</text>`);
  out.push(`<text transform="rotate(-90)" x="${-HEIGHT / 2 - 60}" y="20">pooled bits per sub-pixel</text>`);
  results.forEach((r, i) => {
    const colour = COLOURS[codecs.indexOf(r.codec) % COLOURS.length];
    const shape = SHAPES[datasets.indexOf(r.dataset) % SHAPES.length];
    const x = px(xs[i]);
    const y = py(ys[i]);
    if (shape === 'circle') out.push(`<circle cx="${x}" cy="${y}" r="6" fill="${colour}"/>`);
    else if (shape === 'square') out.push(`<rect x="${x - 5}" y="${y - 5}" width="10" height="10" fill="${colour}"/>`);
    else out.push(`<polygon points="${x},${y - 7} ${x - 6},${y + 5} ${x + 6},${y + 5}" fill="${colour}"/>`);
  });
  codecs.forEach((c, i) => {
    const y = MARGIN.top + 10 + 18 * i;
    out.push(`<circle cx="${WIDTH - MARGIN.right + 20}" cy="${y}" r="6" fill="${COLOURS[i % COLOURS.length]}"/>`);
    out.push(`<text x="${WIDTH - MARGIN.right + 32}" y="${y + 4}">${escape(c)}</text>`);
  });
  datasets.forEach((d, i) => {
    const y = MARGIN.top + 30 + 18 * (codecs.length + i);
    out.push(`<text x="${WIDTH - MARGIN.right + 14}" y="${y + 4}">${['●', '■', '▲'][i % 3]} ${escape(d)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
