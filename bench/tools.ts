/** Small helpers the bench's sections share. */
import { spawnSync } from 'node:child_process';

/** Whether a command-line tool is installed. */
export const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** The median of some timings (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
