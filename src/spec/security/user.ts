/**
 * `-u/--user` resolution against the image's `/etc/passwd` and `/etc/group`, with the
 * rules of runc's user lookup (moby/sys/user `GetExecUser`) and Docker's additional
 * groups (primary gid first, then the user's supplementary groups, then `--group-add`).
 * Pure: the caller reads the two files inside the rootfs (null when missing).
 */
import { UsageError } from '../../common/errors';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** setgroups() list: the primary gid, supplementary groups, then --group-add, without repeats. */
  additionalGids: number[];
  home: string;
  /** The passwd name when the user matched an entry. */
  name?: string;
}

export interface UserInput {
  /** The `-u` value, or the image's `User`; empty means root. */
  user?: string;
  /** Contents of the image's /etc/passwd, null when the file does not exist. */
  passwd: string | null;
  /** Contents of the image's /etc/group, null when the file does not exist. */
  group: string | null;
  /** `--group-add` values: group names or numbers. */
  groupAdd?: readonly string[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2147483647;
const NO_PASSWD = 'no matching entries in passwd file';
const NO_GROUP = 'no matching entries in group file';
const RANGE = `uids and gids must be in range 0-${MAX_ID}`;

/** Parses passwd content; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseId(f[2] ?? '');
    const gid = parseId(f[3] ?? '');
    if (uid === null || gid === null) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

/** Parses group content; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = parseId(f[2] ?? '');
    if (gid === null) continue;
    const members = (f[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    out.push({ name: f[0], gid, members });
  }
  return out;
}

/** A decimal id, or null. Out-of-range ids are refused where they are used. */
function parseId(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new UsageError(RANGE);
  return id;
}

/**
 * Resolves the user spec (`uid`, `uid:gid`, `name`, `name:group`, `name:gid`, `uid:group`;
 * an empty user part means root). Numbers are always ids, even where a name is made of
 * digits. A name must exist in passwd (group); a number need not.
 */
export function resolveUser(input: UserInput): ResolvedUser {
  const spec = (input.user ?? '').trim();
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1);
  const uidArg = parseId(userArg);
  const gidArg = parseId(groupArg);
  const users = input.passwd === null ? [] : parsePasswd(input.passwd);
  const groups = input.group === null ? [] : parseGroup(input.group);

  let uid = 0;
  let gid = 0;
  let home: string | null = null;
  let matched: PasswdEntry | undefined;
  if (userArg === '') matched = users.find((u) => u.uid === 0);
  else if (uidArg !== null) matched = users.find((u) => u.uid === uidArg);
  else matched = users.find((u) => u.name === userArg);

  if (matched) {
    uid = checkRange(matched.uid);
    gid = checkRange(matched.gid);
    home = matched.home;
  } else if (userArg !== '') {
    if (uidArg === null) throw new UsageError(`unable to find user ${userArg}: ${NO_PASSWD}`);
    uid = checkRange(uidArg);
  }

  let supplementary: number[] = [];
  if (groupArg !== '') {
    const g = gidArg !== null ? groups.find((e) => e.gid === gidArg) : groups.find((e) => e.name === groupArg);
    if (g) gid = checkRange(g.gid);
    else if (gidArg === null) throw new UsageError(`unable to find group ${groupArg}: ${NO_GROUP}`);
    else gid = checkRange(gidArg);
  } else if (matched) {
    // Supplementary groups only in the implicit form, as runc.
    supplementary = groups.filter((e) => e.members.includes(matched!.name)).map((e) => e.gid);
  }

  const added: number[] = [];
  for (const ag of input.groupAdd ?? []) {
    const g = groups.find((e) => e.name === ag);
    if (g) {
      added.push(checkRange(g.gid));
      continue;
    }
    const n = parseId(ag);
    if (n === null) throw new UsageError(`Unable to find group ${ag}: ${NO_GROUP}`);
    if (n > MAX_ID) throw new UsageError(`Unable to find group ${ag}: ${RANGE}`);
    added.push(n);
  }

  const additionalGids: number[] = [];
  for (const g of [gid, ...supplementary, ...added]) if (!additionalGids.includes(g)) additionalGids.push(g);

  if (home === null || home === '') home = matched && home === '' ? '/' : uid === 0 ? '/root' : '/';
  const out: ResolvedUser = { uid, gid, additionalGids, home };
  if (matched) out.name = matched.name;
  return out;
}
