/**
 * The content-addressed image store.
 *
 * On disk, under the engine root:
 *   <imageDir>/repositories.json     {"busybox:latest": "sha256:<hex>", ...}: familiar reference -> image id
 *   <imageDir>/repositories.lock     flock(2) lock of the writers of repositories.json (permanent file)
 *   <imageDir>/configs/<hex>.json    image config blobs, byte-exact; <hex> = sha256 of the bytes = image id
 *   <layersDir>/<chain hex>/diff/    an extracted layer: a read-only overlay lower dir
 *   <layersDir>/<chain hex>/meta.json {"chainId", "diffId", "parent", "size"}
 *   <tmpDir>/image-<pid>-*           staging dirs and temporary files of a running writer
 *
 * Layers are keyed by their OCI ChainID, so one layer dir holds a layer together with
 * everything below it and is shared by every image with the same stack.
 *
 * Reads are synchronous and cheap: a lookup reads repositories.json and one config blob and
 * stats the layer dirs; no tar, no hashing of contents. Every write is a temp file (or staging
 * dir) renamed into place, so readers never see a partial file and a crash leaves only
 * staging debris, which the next writer removes.
 */
import { createSha256, randomHex, sha256Hex as sha256 } from '../sys/random';
import fs = require('node:fs');
import path = require('node:path');
import type { Readable } from 'node:stream';
import { MydockerError, NotFoundError, UsageError } from '../common/errors';
import type { Paths } from '../state/paths';
import { writeFileAtomic } from '../state/store';
import { fsx as realFsx, Fsx } from '../sys/fsx';
import { extractTarSync, TarExtraction } from './extract';
import { familiarString, parseImageSpec, parseNormalizedNamed, parseReference, DEFAULT_TAG } from './reference';
import type { Image, ImageConfigBlob } from './types';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const STAGING_PREFIX = 'image-';

export interface LayerInfo {
  /** sha256 of the uncompressed tar of this layer alone */
  diffId: string;
  /** OCI ChainID of this layer and its parents */
  chainId: string;
  /** ChainID of the layer below, if any */
  parent?: string;
  /** absolute path of the extracted layer (`.../diff`) */
  dir: string;
  /** sum of the sizes of the regular files of this layer */
  size: number;
}

interface LayerMeta {
  chainId: string;
  diffId: string;
  parent: string | null;
  size: number;
}

/** A damaged store: a referenced file that is missing or unreadable. Exit 125. */
export class StoreError extends MydockerError {}

export function sha256Hex(data: Buffer | string): string {
  return sha256(data);
}

/** ChainID of a layer on top of `parent` (OCI image spec: chain(L0)=diffid(L0)). */
export function chainId(parent: string | undefined, diffId: string): string {
  return parent === undefined ? diffId : `sha256:${sha256Hex(`${parent} ${diffId}`)}`;
}

/** The ChainIDs of a stack of layers, lowest first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}

function hexOf(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new StoreError(`invalid digest "${digest}"`);
  return digest.slice('sha256:'.length);
}

function readOrUndefined(p: string): Buffer | undefined {
  try {
    return fs.readFileSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Yields the stream, decompressed when it starts with the gzip magic. */
async function* maybeGunzip(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  let finished = false;
  try {
    const head: Buffer[] = [];
    let n = 0;
    while (n < 2) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      head.push(b);
      n += b.length;
    }
    const rest = async function* (): AsyncGenerator<Buffer> {
      yield* head;
      while (!finished) {
        const r = await it.next();
        if (r.done) {
          finished = true;
          return;
        }
        yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      }
    };
    const first = Buffer.concat(head);
    if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const zlib = require('node:zlib') as typeof import('node:zlib');
      const gz = zlib.createGunzip();
      // node:stream on first use only: a command that only reads the store does not load it
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Readable } = require('node:stream') as typeof import('node:stream');
      const compressed = Readable.from(rest());
      compressed.on('error', (e) => gz.destroy(e));
      compressed.pipe(gz);
      try {
        yield* gz as AsyncIterable<Buffer>;
      } finally {
        compressed.destroy();
      }
    } else {
      yield* rest();
    }
  } finally {
    if (!finished) await it.return?.();
  }
}

export interface ImageStoreOptions {
  fsx?: Fsx;
}

export class ImageStore {
  readonly paths: Paths;
  private readonly fsx: Fsx;
  private readonly configsDir: string;
  private readonly reposFile: string;
  private readonly lockFile: string;

  constructor(paths: Paths, opts: ImageStoreOptions = {}) {
    this.paths = paths;
    this.fsx = opts.fsx ?? realFsx;
    this.configsDir = path.join(paths.imageDir, 'configs');
    this.reposFile = path.join(paths.imageDir, 'repositories.json');
    this.lockFile = path.join(paths.imageDir, 'repositories.lock');
  }

  // ---------------------------------------------------------------- reads

  /** The reference map: familiar reference ("busybox:latest") -> image id. */
  references(): Record<string, string> {
    const raw = readOrUndefined(this.reposFile);
    if (raw === undefined) return {};
    try {
      const v = JSON.parse(raw.toString('utf8')) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, string>;
    } catch {
      /* fall through */
    }
    throw new StoreError(`image store damaged: ${this.reposFile} is not a JSON object`);
  }

  /**
   * Finds an image by name[:tag] (tag defaults to latest), name@digest, full id (with or
   * without "sha256:"), or a unique id prefix. Undefined when there is none; UsageError for
   * an invalid reference.
   */
  lookup(ref: string): Image | undefined {
    const spec = parseImageSpec(ref);
    if (spec.kind === 'id') {
      const hex = spec.full ? spec.hex : this.findByPrefix(spec.hex);
      return hex === undefined ? undefined : this.load(hex);
    }
    const refs = this.references();
    const id = refs[familiarString(spec.ref)];
    if (id !== undefined) {
      const img = this.load(hexOf(id), refs);
      if (img) return img;
    }
    if (spec.hexPrefix !== undefined) {
      const hex = this.findByPrefix(spec.hexPrefix);
      if (hex !== undefined) return this.load(hex, refs);
    }
    return undefined;
  }

  /** Like lookup, but a missing image is a NotFoundError ("No such image: x"). */
  get(ref: string): Image {
    const img = this.lookup(ref);
    if (!img) throw new NotFoundError(`No such image: ${ref}`);
    return img;
  }

  /** Every image of the store, newest first. */
  list(): Image[] {
    const refs = this.references();
    const out: Image[] = [];
    for (const hex of this.configHexes()) {
      const img = this.load(hex, refs);
      if (img) out.push(img);
    }
    const created = (i: Image) => (i.config.created ? Date.parse(i.config.created) || 0 : 0);
    return out.sort((a, b) => created(b) - created(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The stored config blob of an image, byte-exact (for save/push). */
  configBlob(id: string): Buffer | undefined {
    return readOrUndefined(path.join(this.configsDir, `${hexOf(id)}.json`));
  }

  /** A stored layer by ChainID, or undefined. */
  getLayer(chain: string): LayerInfo | undefined {
    const dir = path.join(this.paths.layersDir, hexOf(chain));
    const raw = readOrUndefined(path.join(dir, 'meta.json'));
    if (raw === undefined) return undefined;
    const m = JSON.parse(raw.toString('utf8')) as LayerMeta;
    const info: LayerInfo = { diffId: m.diffId, chainId: chain, dir: path.join(dir, 'diff'), size: m.size };
    if (m.parent) info.parent = m.parent;
    return info;
  }

  private configHexes(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.configsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => /^[a-f0-9]{64}\.json$/.test(n)).map((n) => n.slice(0, 64));
  }

  private findByPrefix(prefix: string): string | undefined {
    const hits = this.configHexes().filter((h) => h.startsWith(prefix));
    return hits.length === 1 ? hits[0] : undefined; // none, or ambiguous
  }

  /**
   * The image's layer chain ids. Computing them takes sha256, whose module costs more to
   * load than the rest of a lookup, so they are kept beside the config once computed
   * (derived data: a missing or damaged file is simply computed again).
   */
  private chainsOf(hex: string, config: ImageConfigBlob): string[] {
    const file = path.join(this.configsDir, `${hex}.chains`);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const cached = readOrUndefined(file);
    if (cached !== undefined) {
      try {
        const list = JSON.parse(cached.toString('utf8')) as string[];
        if (Array.isArray(list) && list.length === diffIds.length) return list;
      } catch {
        /* recompute */
      }
    }
    const chains = chainIds(diffIds);
    try {
      writeFileAtomic(file, JSON.stringify(chains));
    } catch {
      /* a read-only store still works, only slower */
    }
    return chains;
  }

  private load(hex: string, refs?: Record<string, string>): Image | undefined {
    const raw = readOrUndefined(path.join(this.configsDir, `${hex}.json`));
    if (raw === undefined) return undefined;
    const id = `sha256:${hex}`;
    let config: ImageConfigBlob;
    try {
      config = JSON.parse(raw.toString('utf8')) as ImageConfigBlob;
    } catch (e) {
      throw new StoreError(`image store damaged: config of ${id} is not valid JSON`, { cause: e });
    }
    const layerDirs = this.chainsOf(hex, config).map((c) => path.join(this.paths.layersDir, hexOf(c), 'diff'));
    for (const d of layerDirs) {
      if (!fs.existsSync(d)) throw new StoreError(`image store damaged: layer ${d} of image ${id} is missing`);
    }
    const all = refs ?? this.references();
    const repoTags = Object.keys(all)
      .filter((k) => all[k] === id && !k.includes('@'))
      .sort();
    return { id, repoTags, config, layerDirs };
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores a layer from its tar stream (plain or gzip; the DiffID is the sha256 of the
   * uncompressed tar) on top of the layer `parentChainId`. The tar is hashed while it is
   * extracted into a staging dir, which is then renamed into place; an identical layer
   * already present is reused.
   */
  async addLayer(tar: Readable | AsyncIterable<Buffer>, parentChainId?: string): Promise<LayerInfo> {
    const stage = this.beginLayer(parentChainId);
    try {
      const hash = createSha256();
      const x = new TarExtraction(path.join(stage, 'diff'), { fsx: this.fsx });
      try {
        for await (const chunk of maybeGunzip(tar as AsyncIterable<Buffer>)) {
          hash.update(chunk);
          x.push(chunk);
        }
      } catch (e) {
        x.fail();
        throw e;
      }
      const { size } = x.end();
      return this.commitLayer(stage, `sha256:${hash.digest('hex')}`, parentChainId, size);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }

  /** addLayer for a tar (plain or gzip) held in memory, synchronously. */
  addLayerSync(tar: Buffer, parentChainId?: string): LayerInfo {
    const stage = this.beginLayer(parentChainId);
    try {
      let plain = tar;
      if (tar.length >= 2 && tar[0] === 0x1f && tar[1] === 0x8b) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        plain = (require('node:zlib') as typeof import('node:zlib')).gunzipSync(tar);
      }
      const { size } = extractTarSync(plain, path.join(stage, 'diff'), { fsx: this.fsx });
      return this.commitLayer(stage, `sha256:${sha256Hex(plain)}`, parentChainId, size);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }

  /** Checks the parent and makes a private staging dir with an empty `diff/`. */
  private beginLayer(parentChainId: string | undefined): string {
    if (parentChainId !== undefined) {
      hexOf(parentChainId);
      if (!this.getLayer(parentChainId)) throw new NotFoundError(`parent layer ${parentChainId} does not exist`);
    }
    fs.mkdirSync(this.paths.tmpDir, { recursive: true });
    fs.mkdirSync(this.paths.layersDir, { recursive: true });
    this.sweepStaging();
    const stage = fs.mkdtempSync(path.join(this.paths.tmpDir, `${STAGING_PREFIX}${process.pid}-`));
    const diffDir = path.join(stage, 'diff');
    fs.mkdirSync(diffDir);
    fs.chmodSync(diffDir, 0o755);
    return stage;
  }

  /** Renames a fully extracted staging dir into place, or reuses the identical layer there. */
  private commitLayer(stage: string, diffId: string, parentChainId: string | undefined, size: number): LayerInfo {
    const chain = chainId(parentChainId, diffId);
    const existing = this.getLayer(chain);
    if (existing) return existing;
    const meta: LayerMeta = { chainId: chain, diffId, parent: parentChainId ?? null, size };
    fs.writeFileSync(path.join(stage, 'meta.json'), JSON.stringify(meta) + '\n');
    const final = path.join(this.paths.layersDir, hexOf(chain));
    try {
      fs.renameSync(stage, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // another writer put the same layer in place first: use theirs
      const theirs = code === 'ENOTEMPTY' || code === 'EEXIST' ? this.getLayer(chain) : undefined;
      if (theirs) return theirs;
      throw e;
    }
    const info: LayerInfo = { diffId, chainId: chain, dir: path.join(final, 'diff'), size };
    if (parentChainId !== undefined) info.parent = parentChainId;
    return info;
  }

  /** Stores a config blob (serialized as JSON) and points `tags` at it. */
  createImage(config: ImageConfigBlob, tags: string[]): Image {
    return this.createImageFromBlob(Buffer.from(JSON.stringify(config)), tags);
  }

  /**
   * Stores a config blob exactly as given (its sha256 is the image id) and points `tags`
   * (references, tag defaulting to latest) at it. Every layer of rootfs.diff_ids must be in
   * the store already. Invalid input throws before anything is written.
   */
  createImageFromBlob(raw: Buffer, tags: string[]): Image {
    let config: ImageConfigBlob;
    try {
      config = JSON.parse(raw.toString('utf8')) as ImageConfigBlob;
    } catch (e) {
      throw new UsageError('invalid image config: not valid JSON', { cause: e });
    }
    const diffIds = config?.rootfs?.diff_ids;
    if (!config || typeof config !== 'object' || !Array.isArray(diffIds) || !diffIds.every((d) => DIGEST_RE.test(d))) {
      throw new UsageError('invalid image config: rootfs.diff_ids must be a list of sha256 digests');
    }
    for (const c of chainIds(diffIds)) {
      if (!this.getLayer(c)) throw new NotFoundError(`layer ${c} does not exist in the image store`);
    }
    const keys = tags.map((t) => familiarString(parseReference(t)));
    const hex = sha256Hex(raw);
    const id = `sha256:${hex}`;
    fs.mkdirSync(this.configsDir, { recursive: true });
    const blob = path.join(this.configsDir, `${hex}.json`);
    if (!fs.existsSync(blob)) this.writeAtomic(blob, raw);
    if (keys.length > 0) {
      this.updateReferences((refs) => {
        for (const k of keys) refs[k] = id;
      });
    }
    return this.load(hex)!;
  }

  /** Points the reference `target` (tag defaults to latest) at the image `source`. */
  tag(source: string, target: string): void {
    const img = this.get(source);
    const ref = parseNormalizedNamed(target);
    if (ref.digest !== undefined) throw new UsageError('refusing to create a tag with a digest reference');
    if (ref.tag === undefined) ref.tag = DEFAULT_TAG;
    const key = familiarString(ref);
    this.updateReferences((refs) => {
      refs[key] = img.id;
    });
  }

  /**
   * Removes the reference `name` (tag defaults to latest); the image itself stays (and is
   * dangling if it has no reference left). Returns the id it pointed at.
   */
  untag(name: string): string {
    const key = familiarString(parseReference(name));
    let id: string | undefined;
    this.updateReferences((refs) => {
      id = refs[key];
      if (id === undefined) throw new NotFoundError(`No such image: ${key}`);
      delete refs[key];
    });
    return id!;
  }

  /** Read-modify-write of repositories.json under the store's flock. */
  private updateReferences(mutate: (refs: Record<string, string>) => void): void {
    fs.mkdirSync(this.paths.imageDir, { recursive: true });
    fs.mkdirSync(this.paths.tmpDir, { recursive: true });
    const fd = fs.openSync(this.lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      this.fsx.flock(fd, 'ex');
      const refs = this.references();
      mutate(refs);
      const sorted: Record<string, string> = {};
      for (const k of Object.keys(refs).sort()) sorted[k] = refs[k];
      this.writeAtomic(this.reposFile, Buffer.from(JSON.stringify(sorted, null, 2) + '\n'));
    } finally {
      fs.closeSync(fd); // releases the lock
    }
  }

  /** Writes `data` to a temp file in tmpDir, syncs it and renames it over `target`. */
  private writeAtomic(target: string, data: Buffer): void {
    const tmp = path.join(
      this.paths.tmpDir,
      `${STAGING_PREFIX}${process.pid}-${randomHex(6)}.tmp`,
    );
    fs.mkdirSync(this.paths.tmpDir, { recursive: true });
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }

  /** Removes staging dirs and temp files left by writers that no longer run. */
  private sweepStaging(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.paths.tmpDir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^image-(\d+)-/.exec(n);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || pidAlive(pid)) continue;
      fs.rmSync(path.join(this.paths.tmpDir, n), { recursive: true, force: true });
    }
  }
}
