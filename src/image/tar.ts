/**
 * A small synchronous tar codec: a push parser (ustar, GNU and PAX headers, long names,
 * base-256 numbers) and an encoder for archives built in memory.
 *
 * Synchronous on purpose: the same parser serves a layer read from a stream (chunks pushed
 * as they arrive) and a layer built in memory (one push), and extraction of each entry is
 * done before the next chunk is read, so there is no buffering and no backpressure to
 * manage. Extended attribute values from PAX records are kept as raw bytes.
 */

export type TarType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'unsupported';

export interface TarHeader {
  name: string;
  type: TarType;
  /** the raw type flag, e.g. "0", "5", "S" */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** data size in bytes */
  size: number;
  /** seconds since the epoch (PAX times may be fractional) */
  mtime: number;
  atime?: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** extended attributes from PAX `SCHILY.xattr.<name>` records */
  xattrs: Record<string, Buffer>;
}

/** Receives the data of one entry. */
export interface EntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface TarHandler {
  /** Called for each entry; the returned sink (if any) receives its data. */
  entry(h: TarHeader): EntrySink | undefined;
}

export class TarFormatError extends Error {}

const BLOCK = 512;
const MAX_META_SIZE = 1 << 20;

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function str(b: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  return b.toString('utf8', off, end);
}

function num(b: Buffer, off: number, len: number, field: string): number {
  if (b[off] & 0x80) {
    // base-256 (GNU): big-endian two's complement with the top bit of the first byte set
    if (b[off] === 0xff) throw new TarFormatError(`invalid tar header: negative ${field}`);
    let v = BigInt(b[off] & 0x7f);
    for (let i = off + 1; i < off + len; i++) v = (v << 8n) | BigInt(b[i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`invalid tar header: ${field} too large`);
    return Number(v);
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`invalid tar header: bad ${field}`);
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    if (b[i] !== 0x20 && b[i] !== 0) throw new TarFormatError(`invalid tar header: bad ${field}`);
  }
  return digits === 0 ? 0 : v;
}

function checksumOk(b: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const stored = num(b, 148, 8, 'checksum');
  return stored === unsigned || stored === signed;
}

function typeOf(flag: string): TarType {
  switch (flag) {
    case '0':
    case '\0':
    case '':
      return 'file';
    case '1':
      return 'link';
    case '2':
      return 'symlink';
    case '3':
      return 'character-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    case '7':
      return 'contiguous-file';
    default:
      return 'unsupported';
  }
}

/** Parses PAX records ("%d %s=%s\n"); values are raw bytes. */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break; // padding
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) throw new TarFormatError('invalid PAX record');
    const len = Number(buf.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > buf.length || buf[off + len - 1] !== 0x0a) {
      throw new TarFormatError('invalid PAX record');
    }
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarFormatError('invalid PAX record');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

type State = 'header' | 'meta' | 'data' | 'pad' | 'eof' | 'done';

/**
 * Push parser. Feed chunks with push(), then call end(), which throws if the archive was
 * cut short. Anything after the end-of-archive marker is accepted and ignored.
 */
export class TarParser {
  private state: State = 'header';
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** bytes still expected in the current state */
  private need = BLOCK;
  private metaType = '';
  private sink: EntrySink | undefined;
  private padAfter = 0;
  private pax = new Map<string, Buffer>();
  private globalPax = new Map<string, Buffer>();
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(private readonly handler: TarHandler) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.state === 'done') return;
      if (this.state === 'data') {
        const n = Math.min(this.need, chunk.length - off);
        if (n > 0) this.sink?.write(chunk.subarray(off, off + n));
        off += n;
        this.need -= n;
        if (this.need === 0) this.finishData();
        continue;
      }
      if (this.state === 'pad') {
        const n = Math.min(this.need, chunk.length - off);
        off += n;
        this.need -= n;
        if (this.need === 0) this.toHeader();
        continue;
      }
      // header, meta, eof: collect `need` bytes
      const n = Math.min(this.need - this.pendingLen, chunk.length - off);
      this.pending.push(chunk.subarray(off, off + n));
      this.pendingLen += n;
      off += n;
      if (this.pendingLen === this.need) {
        const block = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
        this.pending = [];
        this.pendingLen = 0;
        if (this.state === 'header') this.onHeader(block);
        else if (this.state === 'meta') this.onMeta(block);
        else this.onSecondZero(block);
      }
    }
  }

  end(): void {
    if (this.state === 'done') return;
    // a stream ending right after a header boundary (with or without one zero block) is accepted
    if ((this.state === 'header' || this.state === 'eof') && this.pendingLen === 0) {
      this.state = 'done';
      return;
    }
    throw new TarFormatError('unexpected end of tar archive');
  }

  private toHeader(): void {
    this.state = 'header';
    this.need = BLOCK;
  }

  private onSecondZero(block: Buffer): void {
    if (!isZeroBlock(block)) throw new TarFormatError('invalid tar header after end-of-archive block');
    this.state = 'done';
  }

  private onHeader(b: Buffer): void {
    if (isZeroBlock(b)) {
      this.state = 'eof';
      this.need = BLOCK;
      return;
    }
    if (!checksumOk(b)) throw new TarFormatError('invalid tar header: checksum mismatch (is it a tar archive?)');
    const flag = String.fromCharCode(b[156]);
    const size = num(b, 124, 12, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META_SIZE) throw new TarFormatError('tar extended header too large');
      this.metaType = flag;
      this.padAfter = (BLOCK - (size % BLOCK)) % BLOCK;
      if (size === 0) {
        this.onMeta(Buffer.alloc(0));
        return;
      }
      this.state = 'meta';
      this.need = size;
      return;
    }

    const magic = b.toString('latin1', 257, 263);
    let name = str(b, 0, 100);
    if (magic === 'ustar\0' && b[345] !== 0) name = `${str(b, 345, 155)}/${name}`;
    let typeflag = flag;
    if ((flag === '\0' || flag === '0') && name.endsWith('/')) typeflag = '5';
    const h: TarHeader = {
      name,
      type: typeOf(typeflag),
      typeflag,
      mode: num(b, 100, 8, 'mode'),
      uid: num(b, 108, 8, 'uid'),
      gid: num(b, 116, 8, 'gid'),
      size,
      mtime: num(b, 136, 12, 'mtime'),
      linkname: str(b, 157, 100),
      uname: str(b, 265, 32),
      gname: str(b, 297, 32),
      devmajor: magic.startsWith('ustar') ? num(b, 329, 8, 'devmajor') : 0,
      devminor: magic.startsWith('ustar') ? num(b, 337, 8, 'devminor') : 0,
      xattrs: {},
    };
    if (this.longName !== undefined) h.name = this.longName;
    if (this.longLink !== undefined) h.linkname = this.longLink;
    this.longName = this.longLink = undefined;
    const pax = new Map([...this.globalPax, ...this.pax]);
    this.pax = new Map();
    for (const [k, v] of pax) {
      const s = v.toString('utf8');
      const n = Number(s);
      switch (k) {
        case 'path':
          h.name = s;
          break;
        case 'linkpath':
          h.linkname = s;
          break;
        case 'size':
          if (!/^\d+$/.test(s)) throw new TarFormatError('invalid PAX size');
          h.size = n;
          break;
        case 'uid':
        case 'gid':
          if (!/^\d+$/.test(s)) throw new TarFormatError(`invalid PAX ${k}`);
          h[k] = n;
          break;
        case 'mtime':
        case 'atime':
          if (Number.isFinite(n)) h[k] = n;
          break;
        case 'uname':
        case 'gname':
          h[k] = s;
          break;
        default:
          if (k.startsWith('SCHILY.xattr.')) h.xattrs[k.slice('SCHILY.xattr.'.length)] = v;
      }
    }
    // links, devices, fifos and directories carry no data even if a size is set (as GNU tar)
    const hasData = h.type === 'file' || h.type === 'contiguous-file' || h.type === 'unsupported';
    const dataSize = hasData ? h.size : 0;
    this.sink = this.handler.entry(h);
    this.padAfter = (BLOCK - (dataSize % BLOCK)) % BLOCK;
    if (dataSize === 0) {
      this.finishData();
      return;
    }
    this.state = 'data';
    this.need = dataSize;
  }

  private finishData(): void {
    const s = this.sink;
    this.sink = undefined;
    s?.end();
    this.afterPayload();
  }

  private afterPayload(): void {
    if (this.padAfter > 0) {
      this.state = 'pad';
      this.need = this.padAfter;
    } else {
      this.toHeader();
    }
  }

  private onMeta(buf: Buffer): void {
    switch (this.metaType) {
      case 'x':
        for (const [k, v] of parsePax(buf)) this.pax.set(k, v);
        break;
      case 'g':
        for (const [k, v] of parsePax(buf)) this.globalPax.set(k, v);
        break;
      case 'L':
        this.longName = str(buf, 0, buf.length);
        break;
      case 'K':
        this.longLink = str(buf, 0, buf.length);
        break;
    }
    this.afterPayload();
  }
}

// ------------------------------------------------------------------------------- encoder

export interface TarEntryInput {
  name: string;
  type: Exclude<TarType, 'unsupported'>;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** seconds since the epoch */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  data?: Buffer;
}

const FLAGS: Record<TarEntryInput['type'], string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
  'contiguous-file': '7',
};

function writeOctal(b: Buffer, off: number, len: number, v: number): void {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1) throw new TarFormatError(`value ${v} does not fit a tar header field`);
  b.write(s.padStart(len - 1, '0'), off, 'latin1');
  b[off + len - 1] = 0;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return Buffer.from(`${len}${body}`);
}

function headerBlock(h: {
  name: string;
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  writeOctal(b, 100, 8, h.mode & 0o7777);
  writeOctal(b, 108, 8, h.uid);
  writeOctal(b, 116, 8, h.gid);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b.write(h.flag, 156, 1, 'latin1');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  b.write(h.uname, 265, 32, 'utf8');
  b.write(h.gname, 297, 32, 'utf8');
  writeOctal(b, 329, 8, h.devmajor);
  writeOctal(b, 337, 8, h.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0'), 148, 'latin1');
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

function padding(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

/**
 * Encodes entries as a POSIX tar (ustar, with a PAX header for names or link targets that do
 * not fit), ending with the two zero blocks. Deterministic: same input, same bytes.
 */
export function encodeTar(entries: readonly TarEntryInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' || e.type === 'contiguous-file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const linkname = e.linkname ?? '';
    const name = e.type === 'directory' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const records: Buffer[] = [];
    if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
    if (Buffer.byteLength(linkname) > 100) records.push(paxRecord('linkpath', linkname));
    const common = {
      mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? 0,
      uname: e.uname ?? '',
      gname: e.gname ?? '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    if (records.length > 0) {
      const pax = Buffer.concat(records);
      parts.push(
        headerBlock({ ...common, name: 'PaxHeader', flag: 'x', size: pax.length, linkname: '' }),
        pax,
        padding(pax.length),
      );
    }
    parts.push(
      headerBlock({
        ...common,
        name: Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name,
        flag: FLAGS[e.type],
        size: data.length,
        linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 99) : linkname,
      }),
      data,
      padding(data.length),
    );
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
