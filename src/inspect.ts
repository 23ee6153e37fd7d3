/**
 * What `flowzip --list` and `--test` report of .flz files: a listing from the headers alone (checksums
 * checked, nothing decoded), or a full test that decodes and checks everything and writes nothing. A
 * file may hold several containers back to back; each is one entry.
 */
import { elementCount, readContainer, splitContainers, type DataKind, type Method } from '../codec/index.js';
import { archiveListing, decompressArchive, type ArchiveMemberReport } from './archive.js';
import { canonicalSize, checkShape, decompress, type DecompressOptions } from './compress.js';
import { writtenEffort } from '../models/index.js';

export interface Listing {
  kind: DataKind;
  method: Method;
  /** The model that coded it (null when stored or Brotli). */
  model: string | null;
  /** The original file's name, when recorded. */
  name?: string;
  dims: number;
  /** Bytes of what decoding gives back: the original file (images: their raw samples). */
  rawBytes: number;
  fileBytes: number;
  /** fileBytes / rawBytes. */
  ratio: number;
  /** 8 * fileBytes / dims. */
  bitsPerDim: number;
  /** Images come back as a PNG with the same pixels, depth and channels, not as the original file's bytes. */
  restores: 'bytes' | 'pixels';
  /** Why a file is stored as it is, when the header says (an image file kept because it was smaller). */
  note?: string;
  members?: ArchiveMemberReport[];
}

export function listFlz(bytes: Uint8Array): Listing[] {
  return splitContainers(bytes).map(listContainer);
}

/** One container's listing, from its header (the payload checksum is checked too). */
function listContainer(part: Uint8Array): Listing {
  const c = readContainer(part, { deferPayloadCrc: true });
  const fileBytes = part.length;
  if (c.kind === 'archive') {
    const r = archiveListing(c, fileBytes);
    const rawBytes = r.members.reduce((a, m) => a + m.rawBytes, 0);
    const pixels = r.members.some((m) => m.kind === 'image' && m.method !== 'original');
    return { kind: c.kind, method: c.method, model: c.modelId, dims: r.dims, rawBytes, fileBytes, ratio: fileBytes / Math.max(1, rawBytes),
      bitsPerDim: r.bitsPerDim, restores: pixels ? 'pixels' : 'bytes', members: r.members };
  }
  if (!c.payloadIntact) readContainer(part); // the payload checksum, reported as such
  const dims = elementCount(c.shape);
  const rawBytes = canonicalSize(c);
  return {
    kind: c.kind,
    method: c.method,
    model: c.method === 'model' ? c.modelId : null,
    ...(typeof c.meta.name === 'string' ? { name: c.meta.name } : {}),
    dims,
    rawBytes,
    fileBytes,
    ratio: fileBytes / Math.max(1, rawBytes),
    bitsPerDim: dims > 0 ? (8 * fileBytes) / dims : 0,
    restores: c.kind === 'image' ? 'pixels' : 'bytes',
    ...(c.kind === 'bytes' && c.method === 'stored' && typeof c.meta.format === 'string'
      ? { note: `the original ${c.meta.format} file, kept as it is: smaller than its pixels coded${c.meta.format === 'jpeg' ? ' (JPEG recompression is not implemented)' : ''}` }
      : {}),
  };
}

/**
 * The effort one container (not an archive) was written at, where its model tells (`compress -e`): 1 for
 * stored, Brotli and exported models' files. What the page's heatmap re-codes a file with.
 */
export async function effortOfFile(bytes: Uint8Array): Promise<number> {
  const c = readContainer(bytes, { deferPayloadCrc: true });
  if (c.kind === 'archive' || c.method !== 'model' || c.modelId.startsWith('path:')) return 1;
  return writtenEffort(c.modelId, c.modelHash, c.payload, checkShape(c));
}

/** Decode every container (and archive member) and check every checksum; throws on the first defect. */
export async function testFlz(bytes: Uint8Array, options: DecompressOptions = {}): Promise<Listing[]> {
  const listing: Listing[] = [];
  for (const part of splitContainers(bytes)) {
    const entry = listContainer(part);
    if (entry.kind === 'archive') await decompressArchive(part, options);
    else await decompress(part, options);
    listing.push(entry);
  }
  return listing;
}
