/** Reading inputs the same way in the CLI and its worker threads: regular files or stdin, errors that name the file. */
import { readFileSync, statSync } from 'node:fs';
import { FlowzipError } from '../src/index.js';

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EPIPE: 'broken pipe',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
};

export function errnoReason(e: NodeJS.ErrnoException): string {
  return ERRNO_REASONS[e.code ?? ''] ?? (e.code ?? 'error').toLowerCase();
}

/** A named regular file, or standard input for '-': BAD_INPUT naming the file when it cannot be read. */
export function readInput(file: string): Uint8Array {
  if (file === '-') return bytesOf(readFileSync(0));
  try {
    const stats = statSync(file);
    if (stats.isDirectory()) throw new FlowzipError('BAD_INPUT', `${file} is a directory`);
    // A FIFO, socket or device would block or never end: only regular files (and - for stdin).
    if (!stats.isFile()) throw new FlowzipError('BAD_INPUT', `${file} is not a regular file (read it through standard input: - )`);
    return bytesOf(readFileSync(file));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof FlowzipError || typeof err?.code !== 'string') throw e;
    throw new FlowzipError(err.code === 'EACCES' || err.code === 'EPERM' ? 'IO' : 'BAD_INPUT', `cannot read ${file}: ${errnoReason(err)}`);
  }
}

/** A Buffer's bytes as a Uint8Array, without copying them (a large input is held once). */
function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
