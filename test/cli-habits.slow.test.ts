/**
 * The CLI against gzip/zstd habits (issue 14) and hostile or odd inputs on the file side: one test per
 * habit, each checking the exit status, what stderr names, and what is (and is not) left on disk.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli/flowzip.js', import.meta.url));
let dir: string;

function flowzip(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const file = (name: string) => join(dir, name);
const oneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowzip-habits-'));
  for (const f of ['photo-rgb.png', 'dem-int16.npy', 'text.txt', 'photo.jpg']) copyFileSync(FIXTURES + f, file(f));
});

describe('issue 14: the CLI a zstd user expects', () => {
  it('1. decompressing next to the kept original refuses and says how to go on (-f or -o)', () => {
    expect(flowzip(['compress', '-q', 'text.txt']).status).toBe(0);
    const r = flowzip(['decompress', '-q', 'text.txt.flz']);
    expect(r.status).toBe(5);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/text\.txt already exists \(use -f to overwrite it, or -o to write elsewhere\)/);
    expect(flowzip(['decompress', '-q', '-f', 'text.txt.flz']).status).toBe(0);
    expect(flowzip(['decompress', '-q', '-o', 'again.txt', 'text.txt.flz']).status).toBe(0);
    expect(readFileSync(file('again.txt')).equals(readFileSync(FIXTURES + 'text.txt'))).toBe(true);
  });

  it('2. -c a b > ab.flz: files back to back; decompress restores them back to back, list and info see both', () => {
    const both = flowzip(['compress', '-q', '-c', 'text.txt', 'dem-int16.npy']);
    expect(both.status).toBe(0);
    writeFileSync(file('both.flz'), both.stdout);
    const out = flowzip(['decompress', '-q', '-c', 'both.flz']);
    expect(out.status).toBe(0);
    expect(out.stdout.equals(Buffer.concat([readFileSync(FIXTURES + 'text.txt'), readFileSync(FIXTURES + 'dem-int16.npy')]))).toBe(true);
    expect(flowzip(['list', '--json', 'both.flz']).stdout.toString().trim().split('\n')).toHaveLength(2);
    expect(flowzip(['info', 'both.flz']).stdout.toString().trim().split('\n')).toHaveLength(2);
    writeFileSync(file('junk.flz'), Buffer.concat([both.stdout, Buffer.from('junk')]));
    expect(flowzip(['decompress', '-q', '-c', 'junk.flz']).status).toBe(4);
  });

  it('3. --test decodes and checks everything and writes nothing; --list reads headers; verify of a .flz tests it', () => {
    expect(flowzip(['compress', '-q', 'photo-rgb.png', 'dem-int16.npy']).status).toBe(0);
    const before = readdirSync(dir).sort();
    const t = flowzip(['-t', 'photo-rgb.png.flz', 'dem-int16.npy.flz']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout.toString()).toMatch(/photo-rgb\.png\.flz: OK, image photo-rgb\.png, 18432 -> \d+ bytes .* model ar, images restore pixel-exact as PNG/);
    expect(readdirSync(dir).sort()).toEqual(before);
    const list = JSON.parse(flowzip(['-l', '--json', 'dem-int16.npy.flz']).stdout.toString());
    expect(list).toMatchObject({ file: 'dem-int16.npy.flz', kind: 'array', method: 'model', model: 'grid', rawBytes: statSync(file('dem-int16.npy')).size });
    expect(list.fileBytes).toBe(statSync(file('dem-int16.npy.flz')).size);
    // A corrupted .flz: test, and verify (which used to compress it as bytes and say "exact"), both fail.
    const bad = readFileSync(file('photo-rgb.png.flz'));
    bad[bad.length - 100] ^= 1;
    writeFileSync(file('bad.flz'), bad);
    for (const args of [['-t', 'bad.flz'], ['verify', 'bad.flz'], ['test', 'bad.flz']]) {
      const r = flowzip(args);
      expect(r.status).toBe(4);
      expect(r.stderr).toMatch(/bad\.flz: CHECKSUM/);
    }
    expect(flowzip(['--help']).stdout.toString()).toMatch(/test .*\n[\s\S]*list /);
  });

  it('4. text goes the Brotli route when smaller; random bytes never grow beyond a small header', () => {
    const text = flowzip(['verify', '--json', 'text.txt']);
    expect(JSON.parse(text.stdout.toString())).toMatchObject({ kind: 'bytes', method: 'brotli' });
    const noise = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 13);
    writeFileSync(file('noise.bin'), noise);
    expect(flowzip(['compress', '-q', 'noise.bin']).status).toBe(0);
    expect(statSync(file('noise.bin.flz')).size).toBeLessThan(noise.length + 120);
    expect(flowzip(['-t', 'noise.bin.flz']).status).toBe(0);
  });

  it('5. a JPEG is kept as it is, and verify and list say so and why', () => {
    const r = JSON.parse(flowzip(['verify', '--json', 'photo.jpg']).stdout.toString());
    expect(r).toMatchObject({ method: 'original', fileBytes: expect.any(Number) });
    expect(r.note).toMatch(/JPEG/);
    expect(r.fileBytes).toBeLessThan(statSync(file('photo.jpg')).size + 120);
    expect(flowzip(['compress', '-q', 'photo.jpg']).status).toBe(0);
    expect(flowzip(['-l', 'photo.jpg.flz']).stdout.toString()).toMatch(/bytes photo\.jpg, \d+ -> \d+ bytes .* stored \(the original jpeg file, kept as it is: smaller than its pixels coded \(JPEG recompression is not implemented\)\)/);
  });

  it('6. modification time and permissions are kept, for files and archive members', () => {
    const when = new Date('2021-03-04T05:06:07Z');
    chmodSync(file('text.txt'), 0o640);
    utimesSync(file('text.txt'), when, when);
    expect(flowzip(['compress', '-q', 'text.txt']).status).toBe(0);
    expect(statSync(file('text.txt.flz')).mtime.getTime()).toBe(when.getTime());
    expect(flowzip(['decompress', '-q', '-o', 'back.txt', 'text.txt.flz']).status).toBe(0);
    expect(statSync(file('back.txt')).mtime.getTime()).toBe(when.getTime());
    expect(statSync(file('back.txt')).mode & 0o777).toBe(0o640);
    mkdirSync(file('tree'));
    copyFileSync(file('text.txt'), file('tree/notes.txt'));
    chmodSync(file('tree/notes.txt'), 0o600);
    utimesSync(file('tree/notes.txt'), when, when);
    expect(flowzip(['compress', '-q', 'tree', '-o', 'tree.flz']).status).toBe(0);
    expect(flowzip(['decompress', '-q', 'tree.flz', '-o', 'out']).status).toBe(0);
    expect(statSync(file('out/notes.txt')).mtime.getTime()).toBe(when.getTime());
    expect(statSync(file('out/notes.txt')).mode & 0o777).toBe(0o600);
  });

  it('7. paths and messages: -o DIR/ is created, a missing folder is an output error, .flz is not recompressed, -T and levels are checked, -v reports', () => {
    let r = flowzip(['compress', '-q', '-o', 'made/here/', 'text.txt', 'dem-int16.npy']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(file('made/here/text.txt.flz')) && existsSync(file('made/here/dem-int16.npy.flz'))).toBe(true);
    r = flowzip(['compress', '-q', '-o', 'nodir/x.flz', 'text.txt']);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/IO: .*cannot write nodir\/x\.flz/);
    expect(r.stderr).not.toMatch(/ENOENT|ENOTDIR|BAD_INPUT/);
    r = flowzip(['compress', '-q', 'made/here/text.txt.flz']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already has the \.flz suffix/);
    expect(existsSync(file('made/here/text.txt.flz.flz'))).toBe(false);
    for (const t of ['abc', '0', '-3', '1.5']) {
      r = flowzip(['compress', '-q', '-T', t, 'text.txt']);
      expect(r.status, t).toBe(2);
      oneLine(r.stderr);
    }
    r = flowzip(['compress', '-q', '-9', 'text.txt']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/levels are -e 1 to -e 3/);
    r = flowzip(['compress', '-q', '-v', '-f', 'text.txt']);
    expect(r.stderr).toMatch(/^text\.txt: 3000 -> \d+ bytes \(\d+\.\d%\)/);
    r = flowzip(['compress', '-q', 'missing.txt']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/missing\.txt: BAD_INPUT: .*cannot read missing\.txt: no such file or directory/);
  });

  it('8. the progress bar shows a rate and the time left', async () => {
    const { ProgressBar } = await import('../cli/progress.js');
    const written: string[] = [];
    const tty = process.stderr.isTTY;
    const write = process.stderr.write;
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    process.stderr.write = ((s: string) => (written.push(s), true)) as typeof process.stderr.write;
    try {
      const bar = new ProgressBar([4_000_000, 1_000_000], false);
      await new Promise((r) => setTimeout(r, 600));
      bar.update(0, 0.5, 'big.png');
    } finally {
      process.stderr.write = write;
      Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
    }
    expect(written.join('')).toMatch(/40\.0% 1\/2 [\d.]+ MB\/s, \d+s left big\.png/);
  });

  it('9. training: errors name the data; a run ends with its held-out bits against the shipped model and the command to use it', () => {
    let r = flowzip(['train', '-q', '--data', 'no-such-folder', '--out', 'm', '--steps', '3']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no-such-folder/);
    r = flowzip(['train', '-q', '--data', FIXTURES, '--out', 'm', '--steps', '20', '--samples', '500']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/trained ar in m: [\d.]+ bits\/dim on held-out images .*; the shipped ar model: [\d.]+ bits\/dim on the same images/);
    expect(r.stderr).toMatch(/use it: flowzip compress --model m FILE/);
  }, 120_000);

  it('9. an idf run keeps the best exported model by held-out bits', () => {
    mkdirSync(file('idf'));
    const r = flowzip(['train', '-q', '--kind', 'idf', '--data', FIXTURES, '--out', 'idf', '--steps', '2', '--crop', '32', '--workers', '1']);
    expect(r.status, r.stderr).toBe(0);
    const exported = JSON.parse(readFileSync(file('idf/model.json'), 'utf8'));
    // Pretend the exported model was far better: resuming must not replace it with a worse one.
    exported.info.validationBpd = 0.001;
    writeFileSync(file('idf/model.json'), JSON.stringify(exported));
    const again = flowzip(['train', '-q', '--kind', 'idf', '--data', FIXTURES, '--out', 'idf', '--steps', '4', '--crop', '32', '--workers', '1']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file('idf/model.json'), 'utf8')).info.validationBpd).toBe(0.001);
    expect(readFileSync(file('idf/train.log'), 'utf8')).toMatch(/"exported":"no \(the exported model has 0\.001\)"/);
  }, 120_000);

  it('10. the bench takes --corpus and says when it is missing', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../dist/bench/bench.js', import.meta.url)), '--quick', '--corpus', file('nowhere')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/corpus .*nowhere does not exist/);
  });
});

describe('inputs and outputs that must not hurt (issue 11)', () => {
  it('a FIFO is refused, not waited on; --rm never removes an input written to stdout', () => {
    execFileSync('mkfifo', [file('pipe')]);
    const r = flowzip(['compress', '-q', 'pipe']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/pipe is not a regular file/);
    const c = flowzip(['compress', '-q', '--rm', '-c', 'text.txt']);
    expect(c.status).toBe(0);
    expect(existsSync(file('text.txt'))).toBe(true);
  });

  it('a full disk or a closed pipe on standard output is an I/O error (exit 5), not a crash', () => {
    const full = spawnSync('sh', ['-c', `'${process.execPath}' '${CLI}' compress -q -c text.txt > /dev/full`], { cwd: dir, encoding: 'utf8' });
    expect(full.status).toBe(5);
    expect(full.stderr).toMatch(/IO: cannot write to standard output: no space left on device/);
    // A reader that stops at once: a large output meets a closed pipe.
    const big = new Uint8Array(4 << 20).map((_, i) => (i * 2654435761) >>> 11);
    writeFileSync(file('big.bin'), big);
    const pipe = spawnSync('sh', ['-c', `'${process.execPath}' '${CLI}' compress -q -c big.bin | head -c 1 > /dev/null; echo "status \${PIPESTATUS:-}"`], { cwd: dir, encoding: 'utf8' });
    expect(pipe.stderr).not.toMatch(/\n\s+at /);
    expect(pipe.stderr).not.toMatch(/INTERNAL/);
  });

  it('verify --heatmap does not overwrite an existing file without -f', () => {
    writeFileSync(file('heat.png'), 'mine');
    const r = flowzip(['verify', '-q', '--heatmap', 'heat.png', 'photo-rgb.png']);
    expect(r.status).toBe(5);
    expect(readFileSync(file('heat.png'), 'utf8')).toBe('mine');
    expect(flowzip(['verify', '-q', '-f', '--heatmap', 'heat.png', 'photo-rgb.png']).status).toBe(0);
    expect(readFileSync(file('heat.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('archives: pic and pic.png both come back; extraction never writes through a symlink; skipped entries are said', () => {
    mkdirSync(file('set'));
    copyFileSync(file('photo-rgb.png'), file('set/pic'));
    copyFileSync(file('photo-rgb.png'), file('set/pic.png'));
    symlinkSync(file('text.txt'), file('set/link'));
    let r = flowzip(['compress', '-q', 'set', '-o', 'set.flz']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/set\/link: skipped \(a symbolic link\)/);
    r = flowzip(['decompress', '-q', 'set.flz', '-o', 'out']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(file('out')).sort()).toEqual(['pic', 'pic.png']);
    mkdirSync(file('trap'));
    mkdirSync(file('elsewhere'));
    copyFileSync(file('set/pic'), file('elsewhere/keep'));
    mkdirSync(file('deep/sub'), { recursive: true });
    copyFileSync(file('text.txt'), file('deep/sub/notes.txt'));
    expect(flowzip(['compress', '-q', 'deep', '-o', 'deep.flz']).status).toBe(0);
    symlinkSync(file('elsewhere'), file('trap/sub'));
    r = flowzip(['decompress', '-q', 'deep.flz', '-o', 'trap']);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(readdirSync(file('elsewhere'))).toEqual(['keep']);
    expect(readdirSync(file('trap'))).toEqual(['sub']);
  });
});
