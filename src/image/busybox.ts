/**
 * The built-in `busybox` image, made from the host's static busybox when first needed.
 *
 * The layer is a tar built in memory (deterministic: fixed owners, the binary's mtime) and
 * stored through ImageStore.addLayerSync like any other layer. Synchronous, so that the
 * engine's image resolution stays synchronous. The image id then depends only on
 * the busybox binary (content, mtime, applet list, version) and the architecture, so the same
 * host busybox always gives the same image.
 */
import fs = require('node:fs');
import { MydockerError } from '../common/errors';
import type { Paths } from '../state/paths';
import { normalizeReference } from './reference';
import { encodeTar, TarEntryInput } from './tar';
import type { ImageStore } from './store';
import type { Image, ImageConfigBlob } from './types';

export const BUSYBOX_REF = 'busybox:latest';
export const DEFAULT_BUSYBOX_PATH = '/bin/busybox';
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'sync:x:4:100:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
];

const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'bin:x:2:',
  'sys:x:3:',
  'adm:x:4:',
  'tty:x:5:',
  'disk:x:6:',
  'lp:x:7:',
  'mail:x:8:',
  'kmem:x:9:',
  'wheel:x:10:root',
  'cdrom:x:11:',
  'dialout:x:18:',
  'floppy:x:19:',
  'video:x:28:',
  'audio:x:29:',
  'tape:x:32:',
  'www-data:x:33:',
  'operator:x:37:',
  'utmp:x:43:',
  'staff:x:50:',
  'users:x:100:',
  'nogroup:x:65534:',
];

/** Directories of the image, with their modes. */
const DIRS: Array<[string, number]> = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o555],
  ['root', 0o700],
  ['sys', 0o555],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

/** Node's process.arch -> the GOARCH names used by image configs. */
export function imageArchitecture(arch: string = process.arch): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      return 'ppc64le';
    case 'loong64':
      return 'loong64';
    default:
      return arch; // arm64, arm, s390x, riscv64, mips64el ... are spelled alike
  }
}

function notStatic(file: string, why: string): MydockerError {
  return new MydockerError(
    `${file} ${why}: the built-in busybox image needs a statically linked busybox (apt-get install busybox-static)`,
  );
}

/**
 * Throws unless `file` is an ELF executable without a PT_INTERP program header, i.e. one
 * that runs without a dynamic loader inside an otherwise empty root file system.
 */
export function assertStaticElf(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    throw notStatic(file, 'is missing');
  }
  try {
    const head = Buffer.alloc(64);
    if (fs.readSync(fd, head, 0, 64, 0) < 52 || head.readUInt32BE(0) !== 0x7f454c46) {
      throw notStatic(file, 'is not an ELF executable');
    }
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const phoff = is64 ? u64(head, 32) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    if (phnum === 0 || phentsize < 4) throw notStatic(file, 'has no program headers');
    const table = Buffer.alloc(phentsize * phnum);
    if (fs.readSync(fd, table, 0, table.length, phoff) !== table.length) {
      throw notStatic(file, 'is a truncated ELF file');
    }
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) throw notStatic(file, 'is dynamically linked');
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * child_process, loaded when the image is built (once per engine root): loading it (with
 * net, dgram and the stream modules) would cost every command a few milliseconds.
 */
function execFileSync(file: string, args: string[], opts: { encoding: 'utf8'; stdio: Array<'ignore' | 'pipe'> }): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as typeof import('node:child_process');
  return cp.execFileSync(file, args, opts);
}

/** The applet names of a busybox binary (`busybox --list`), safe as file names in /bin. */
export function busyboxApplets(file: string): string[] {
  const out = execFileSync(file, ['--list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const names = out
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'busybox' && s !== '.' && s !== '..' && /^[A-Za-z0-9_.[\]-]+$/.test(s));
  return [...new Set(names)].sort();
}

function busyboxVersion(file: string): string | undefined {
  try {
    // `busybox` without arguments prints its banner and exits with 0 or 1 depending on build
    const out = execFileSync(file, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /BusyBox (v\S+)/.exec(out)?.[1];
  } catch (e) {
    const out = String((e as { stdout?: unknown }).stdout ?? '');
    return /BusyBox (v\S+)/.exec(out)?.[1];
  }
}

/** The layer tar, built in memory (deterministic for a given binary, applet list and mtime). */
export function buildBusyboxLayer(file: string, applets: string[], mtime: number): Buffer {
  const base = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
  const entries: TarEntryInput[] = [];
  for (const [name, mode] of DIRS) entries.push({ ...base, name, type: 'directory', mode });
  entries.push({ ...base, name: 'bin/busybox', type: 'file', mode: 0o755, data: fs.readFileSync(file) });
  for (const a of applets) entries.push({ ...base, name: `bin/${a}`, type: 'link', linkname: 'bin/busybox', mode: 0o755 });
  entries.push({ ...base, name: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(PASSWD.join('\n') + '\n') });
  entries.push({ ...base, name: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(GROUP.join('\n') + '\n') });
  return encodeTar(entries);
}

export interface EnsureBusyboxOptions {
  /** The host busybox to use; defaults to /bin/busybox. */
  busyboxPath?: string;
}

/**
 * Returns `busybox:latest`, creating it from the host's static busybox when it is missing.
 * When present this is one store lookup (a few small reads).
 */
export function ensureBusybox(store: ImageStore, _paths?: Paths, opts: EnsureBusyboxOptions = {}): Image {
  const found = store.lookup(BUSYBOX_REF);
  if (found) return found;

  const file = opts.busyboxPath ?? DEFAULT_BUSYBOX_PATH;
  assertStaticElf(file);
  const mtime = Math.floor(fs.statSync(file).mtimeMs / 1000);
  const created = new Date(mtime * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const applets = busyboxApplets(file);
  if (!applets.includes('sh')) throw new MydockerError(`${file} has no "sh" applet: cannot build the busybox image`);
  const version = busyboxVersion(file);

  const layer = store.addLayerSync(buildBusyboxLayer(file, applets, mtime));
  const config: ImageConfigBlob = {
    architecture: imageArchitecture(),
    os: 'linux',
    created,
    config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [
      { created, created_by: `mydocker: built-in busybox${version ? ` ${version}` : ''} from ${file}` },
      { created, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ],
  };
  return store.createImage(config, [BUSYBOX_REF]);
}

/** True when `ref` names the built-in image (`busybox`, `busybox:latest`, `docker.io/library/busybox`...). */
export function isBuiltinBusybox(ref: string): boolean {
  try {
    return normalizeReference(ref) === BUSYBOX_REF;
  } catch {
    return false;
  }
}
