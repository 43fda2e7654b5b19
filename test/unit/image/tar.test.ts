import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import { encodeTar, TarHeader, TarParser, TarFormatError, parsePax } from '../../../src/image/tar';

interface Parsed {
  h: TarHeader;
  data: Buffer;
}

/** Parses with our parser, pushing the archive in chunks of `chunk` bytes. */
function parse(buf: Buffer, chunk = buf.length): Parsed[] {
  const out: Parsed[] = [];
  const p = new TarParser({
    entry(h) {
      const parts: Buffer[] = [];
      out.push({ h, data: Buffer.alloc(0) });
      const rec = out[out.length - 1];
      return { write: (c) => parts.push(Buffer.from(c)), end: () => (rec.data = Buffer.concat(parts)) };
    },
  });
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  p.end();
  return out;
}

/** Packs with tar-stream, an independent encoder. */
async function pack(entries: Array<Partial<tarStream.Header> & { name: string } & { data?: Buffer }>): Promise<Buffer> {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { data, ...h } of entries) {
    await new Promise<void>((res, rej) => p.entry(h, data ?? Buffer.alloc(0), (e) => (e ? rej(e) : res())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const longName = 'd/'.repeat(80) + 'file-with-a-long-name.txt';

test('parses what tar-stream writes, whatever the chunking', async () => {
  const mtime = new Date(1_700_000_000_000);
  const buf = await pack([
    { name: 'dir/', type: 'directory', mode: 0o755, mtime },
    { name: 'dir/a.txt', type: 'file', mode: 0o4755, uid: 1000, gid: 2000, mtime, data: Buffer.from('hello\n') },
    { name: 'dir/l', type: 'symlink', linkname: '../target', mtime },
    { name: 'dir/h', type: 'link', linkname: 'dir/a.txt', mtime },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime },
    { name: 'fifo', type: 'fifo', mode: 0o600, mtime },
    { name: longName, type: 'file', data: Buffer.alloc(1000, 7), mtime },
  ]);
  for (const chunk of [buf.length, 1, 7, 511, 512, 513, 4096]) {
    const got = parse(buf, chunk);
    assert.deepEqual(
      got.map((e) => [e.h.name, e.h.type]),
      [
        ['dir/', 'directory'],
        ['dir/a.txt', 'file'],
        ['dir/l', 'symlink'],
        ['dir/h', 'link'],
        ['dev/null', 'character-device'],
        ['fifo', 'fifo'],
        [longName, 'file'],
      ],
      `chunk ${chunk}`,
    );
    assert.equal(got[1].data.toString(), 'hello\n');
    assert.equal(got[1].h.mode, 0o4755);
    assert.equal(got[1].h.uid, 1000);
    assert.equal(got[1].h.gid, 2000);
    assert.equal(got[1].h.mtime, 1_700_000_000);
    assert.equal(got[2].h.linkname, '../target');
    assert.equal(got[3].h.linkname, 'dir/a.txt');
    assert.equal(got[4].h.devmajor, 1);
    assert.equal(got[4].h.devminor, 3);
    assert.deepEqual(got[6].data, Buffer.alloc(1000, 7));
  }
});

test('tar-stream reads what encodeTar writes (long names through PAX)', async () => {
  const buf = encodeTar([
    { name: 'bin', type: 'directory', mode: 0o755, mtime: 5 },
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: Buffer.from('x'.repeat(700)), mtime: 5 },
    { name: 'bin/sh', type: 'link', linkname: 'bin/busybox' },
    { name: longName, type: 'symlink', linkname: 'l/'.repeat(70) + 'end' },
  ]);
  assert.equal(buf.length % 512, 0);
  const ex = tarStream.extract();
  const seen: Array<[string, string | null | undefined, string | null | undefined, number]> = [];
  const done = (async () => {
    for await (const e of ex) {
      let n = 0;
      for await (const c of e) n += (c as Buffer).length;
      seen.push([e.header.name, e.header.type, e.header.linkname, n]);
    }
  })();
  ex.end(buf);
  await done;
  assert.deepEqual(seen, [
    ['bin/', 'directory', null, 0],
    ['bin/busybox', 'file', null, 700],
    ['bin/sh', 'link', 'bin/busybox', 0],
    [longName, 'symlink', 'l/'.repeat(70) + 'end', 0],
  ]);
  // and our parser agrees
  assert.deepEqual(
    parse(buf).map((e) => [e.h.name, e.h.linkname]),
    [
      ['bin/', ''],
      ['bin/busybox', ''],
      ['bin/sh', 'bin/busybox'],
      [longName, 'l/'.repeat(70) + 'end'],
    ],
  );
  // deterministic
  assert.deepEqual(encodeTar([{ name: 'a', type: 'file', data: Buffer.from('1') }]), encodeTar([{ name: 'a', type: 'file', data: Buffer.from('1') }]));
});

test('parses archives of GNU tar (gnu and posix formats, long names)', (t) => {
  let hasTar = true;
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
  } catch {
    hasTar = false;
  }
  if (!hasTar) return t.skip('no tar command');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tartest-'));
  try {
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'x'.repeat(120)), { recursive: true });
    fs.writeFileSync(path.join(src, 'x'.repeat(120), 'f'), 'data');
    fs.symlinkSync('y'.repeat(150), path.join(src, 'long-link'));
    const gnu = execFileSync('tar', ['--format=gnu', '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
    const names = parse(gnu, 100).map((e) => [e.h.name, e.h.linkname]);
    assert.ok(names.some(([n]) => n === `./${'x'.repeat(120)}/f`), JSON.stringify(names));
    assert.ok(names.some(([n, l]) => n === './long-link' && l === 'y'.repeat(150)));
    const posix = execFileSync('tar', ['--format=posix', '-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
    const pn = parse(posix, 333).map((e) => e.h.name);
    assert.ok(pn.includes(`./${'x'.repeat(120)}/f`), JSON.stringify(pn));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('PAX records keep binary values and override header fields', () => {
  const rec = (k: string, v: Buffer) => {
    const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
    let len = body.length + String(body.length).length;
    if (String(len).length + body.length !== len) len = body.length + String(len).length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  };
  const bin = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x0a, 0x3d]);
  const paxData = Buffer.concat([
    rec('SCHILY.xattr.security.capability', bin),
    rec('uid', Buffer.from('3000000')),
    rec('mtime', Buffer.from('1700000000.5')),
  ]);
  assert.deepEqual(parsePax(paxData).get('SCHILY.xattr.security.capability'), bin);
  // assemble a pax header by hand in front of an encoded entry
  const entry = encodeTar([{ name: 'f', type: 'file', data: Buffer.from('z') }]);
  const paxHeader = encodeTar([{ name: 'PaxHeader', type: 'file', data: paxData }]).subarray(0, 512 + Math.ceil(paxData.length / 512) * 512);
  paxHeader[156] = 'x'.charCodeAt(0);
  // fix the checksum after changing the type flag
  paxHeader.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += paxHeader[i];
  paxHeader.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const got = parse(Buffer.concat([paxHeader, entry]));
  assert.equal(got.length, 1);
  assert.equal(got[0].h.uid, 3000000);
  assert.equal(got[0].h.mtime, 1700000000.5);
  assert.deepEqual(got[0].h.xattrs['security.capability'], bin);
  assert.equal(got[0].data.toString(), 'z');
});

test('rejects corrupt and truncated archives, ignores what follows the end marker', () => {
  const buf = encodeTar([{ name: 'a', type: 'file', data: Buffer.from('hello') }]);
  const corrupt = Buffer.from(buf);
  corrupt[0] = 'b'.charCodeAt(0); // checksum no longer matches
  assert.throws(() => parse(corrupt), TarFormatError);
  assert.throws(() => parse(buf.subarray(0, 700)), /unexpected end/);
  assert.throws(() => parse(Buffer.from('not a tar at all'.repeat(40))), TarFormatError);
  const trailing = Buffer.concat([buf, Buffer.from('garbage after the end')]);
  assert.equal(parse(trailing).length, 1);
  // a stream with no end marker at all is accepted (as tar-stream does)
  assert.equal(parse(buf.subarray(0, 1024)).length, 1);
  assert.deepEqual(parse(Buffer.alloc(0)), []);
});
