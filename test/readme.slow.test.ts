/**
 * Every command in the README's sh blocks runs as written, in order, from a folder laid out like a fresh
 * clone (the fixtures, and `npx flowzip` resolving to this build), and exits 0. The install and test
 * commands themselves are what CI runs around this test, so they are skipped here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIPPED = /^npm (ci|test|run test:slow)\b/;
/** Commands that start a server: run from the repository on a free port, checked by fetching from it, then stopped. */
const SERVER = /^npm run web\b/;

async function checkServer(command: string): Promise<void> {
  const child = spawn('bash', ['-c', command], { cwd: ROOT, env: { ...process.env, PORT: '0' }, detached: true });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command}: no address printed in 60 s: ${output}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[0]);
        }
      });
      child.on('exit', (code) => reject(new Error(`${command} exited (${code}): ${output}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>Flowzip/);
    expect((await fetch(`${url}dist/worker.js`)).status).toBe(200);
    expect((await fetch(`${url}dist/assets/models/ar/photo/model.json`)).status).toBe(200);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
}

function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !SKIPPED.test(line));
}

describe('README', () => {
  it('has commands, and every one of them runs as written', async () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThan(15);
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-readme-'));
    cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-check', private: true }));
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(ROOT, 'dist', 'cli', 'flowzip.js'), join(dir, 'node_modules', '.bin', 'flowzip'));
    for (const command of commands) {
      if (SERVER.test(command)) {
        await checkServer(command);
        continue;
      }
      const r = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_offline: 'true' } });
      expect({ command, status: r.status, stderr: r.stderr.slice(-500) }).toMatchObject({ command, status: 0 });
    }
  }, 600_000);
});
