/**
 * Docker image references: parsing and normalization, following the grammar of the
 * distribution project's `reference` package (ParseNormalizedNamed, FamiliarString):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex
 *
 * `busybox` normalizes to `docker.io/library/busybox:latest`, whose familiar form
 * `busybox:latest` is the key of the image store. Pure: no I/O.
 */
import { UsageError } from '../common/errors';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const referenceRe = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const tagRe = new RegExp(`^${tagPat}$`);
const identifierRe = /^[a-f0-9]{64}$/;

const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  /** The tag; "latest" is filled in when neither a tag nor a digest was given. */
  tag?: string;
  /** "algorithm:hex", e.g. "sha256:…". */
  digest?: string;
}

export function invalidReference(detail?: string): UsageError {
  return new UsageError(detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

/** Validates a digest the way go-digest does; throws a UsageError with its wording. */
export function validateDigest(digest: string): void {
  const i = digest.indexOf(':');
  if (i <= 0 || i === digest.length - 1) throw new UsageError('invalid checksum digest format');
  const alg = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = DIGEST_HEX_LENGTH[alg];
  if (len === undefined) throw new UsageError('unsupported digest algorithm');
  if (hex.length !== len) throw new UsageError('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new UsageError('invalid checksum digest format');
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (
    i === -1 ||
    (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)
  ) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parses a reference as `docker` does for pull/run/tag, without defaulting the tag.
 * Throws UsageError: "invalid reference format", "invalid reference format: repository name
 * (library/Busybox) must be lowercase", ...
 */
export function parseNormalizedNamed(s: string): Reference {
  if (identifierRe.test(s)) {
    throw new UsageError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (s === '') throw invalidReference();
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalidReference(`repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const m = referenceRe.exec(full);
  if (!m) throw invalidReference();
  const name = m[1];
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidReference(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const nm = anchoredNameRe.exec(name);
  if (!nm) throw invalidReference();
  const ref: Reference = { domain: nm[1] ?? '', path: nm[2] };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

/** Like parseNormalizedNamed, then adds the "latest" tag when there is neither tag nor digest. */
export function parseReference(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** "docker.io/library/busybox" */
export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** "busybox", "foo/bar", "localhost:5000/a/b" */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX) && !ref.path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return ref.path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return ref.path;
}

/** "busybox:latest", "localhost:5000/a/b:t", "busybox@sha256:…", as Docker prints references. */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The store's key for a reference: `busybox` -> `busybox:latest`. Throws UsageError if invalid. */
export function normalizeReference(s: string): string {
  return familiarString(parseReference(s));
}

/** True for a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}

/** What a user typed where Docker accepts an image: an id (full or prefix) or a name. */
export type ImageSpec =
  | { kind: 'id'; /** full or partial lower-case hex, without "sha256:" */ hex: string; full: boolean }
  | { kind: 'name'; ref: Reference; /** also try it as an id prefix if no name matches */ hexPrefix?: string };

/**
 * Classifies an image argument as Docker's image lookup does: a 64-hex string or
 * `sha256:<hex>` is an id; anything else is a reference (tag defaulted to latest), which,
 * when it is a short lower-case hex string, may also be an id prefix.
 * Throws UsageError for an invalid reference.
 */
export function parseImageSpec(s: string): ImageSpec {
  if (identifierRe.test(s)) return { kind: 'id', hex: s, full: true };
  if (s.startsWith('sha256:')) {
    const hex = s.slice(7);
    if (/^[a-f0-9]{1,64}$/.test(hex)) return { kind: 'id', hex, full: hex.length === 64 };
    throw invalidReference();
  }
  const ref = parseReference(s);
  const spec: ImageSpec = { kind: 'name', ref };
  if (/^[a-f0-9]{1,63}$/.test(s)) spec.hexPrefix = s;
  return spec;
}
