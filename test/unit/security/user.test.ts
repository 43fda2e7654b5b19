import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUser, parsePasswd, parseGroup } from '../../../src/spec/security/user';
import { UsageError } from '../../../src/common/errors';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
nohome:x:1001:1001:::/bin/sh
broken line
1234:x:2000:2000::/home/digits:/bin/sh
`;
const GROUP = `root:x:0:
daemon:x:1:
wheel:x:10:root,app
www-data:x:33:app
app:x:1000:
staff:x:50: app , nohome
docker:x:999:
`;

const r = (user: string | undefined, extra: Partial<Parameters<typeof resolveUser>[0]> = {}) =>
  resolveUser({ user, passwd: PASSWD, group: GROUP, ...extra });

test('empty user is root, with its home and supplementary groups', () => {
  assert.deepEqual(r(undefined), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root', name: 'root' });
  assert.deepEqual(r(''), r(undefined));
  assert.deepEqual(r('root'), r(undefined));
});

test('name: uid, gid and home from passwd, groups from group membership (primary first)', () => {
  assert.deepEqual(r('app'), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 33, 50], home: '/home/app', name: 'app' });
});

test('uid: matched in passwd when present', () => {
  assert.deepEqual(r('33'), { uid: 33, gid: 33, additionalGids: [33], home: '/var/www', name: 'www-data' });
});

test('uid not in passwd: gid 0, HOME /', () => {
  assert.deepEqual(r('4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
});

test('uid:gid, name:group, name:gid, uid:group; an explicit group drops supplementary groups', () => {
  assert.deepEqual(r('4242:4343'), { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' });
  assert.deepEqual(r('app:docker'), { uid: 1000, gid: 999, additionalGids: [999], home: '/home/app', name: 'app' });
  assert.deepEqual(r('app:7'), { uid: 1000, gid: 7, additionalGids: [7], home: '/home/app', name: 'app' });
  assert.deepEqual(r('0:wheel'), { uid: 0, gid: 10, additionalGids: [10], home: '/root', name: 'root' });
  assert.deepEqual(r(':50'), { uid: 0, gid: 50, additionalGids: [50], home: '/root', name: 'root' });
});

test('a name made of digits is still a uid', () => {
  assert.equal(r('1234').uid, 1234);
  assert.equal(r('1234').home, '/');
});

test('an entry with an empty home gets /', () => {
  assert.equal(r('nohome').home, '/');
  assert.deepEqual(r('nohome').additionalGids, [1001, 50]);
});

test('unknown user or group: Docker\'s message, exit 125', () => {
  assert.throws(() => r('foo'), (e: unknown) => e instanceof UsageError && e.exitCode === 125 && e.message === 'unable to find user foo: no matching entries in passwd file');
  assert.throws(() => r('app:nogroup'), /^UsageError: unable to find group nogroup: no matching entries in group file$/);
});

test('ids out of range are refused', () => {
  assert.throws(() => r('2147483648'), /uids and gids must be in range 0-2147483647/);
  assert.throws(() => r('1:2147483648'), /uids and gids must be in range/);
});

test('missing /etc/passwd and /etc/group: numbers work, names fail, root gets /root', () => {
  assert.deepEqual(resolveUser({ user: '', passwd: null, group: null }), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
  assert.deepEqual(resolveUser({ user: '1000:1000', passwd: null, group: null }), { uid: 1000, gid: 1000, additionalGids: [1000], home: '/' });
  assert.deepEqual(resolveUser({ user: '0', passwd: null, group: null }).home, '/root');
  assert.throws(() => resolveUser({ user: 'app', passwd: null, group: null }), /unable to find user app: no matching entries in passwd file/);
  assert.throws(() => resolveUser({ user: '0:staff', passwd: null, group: null }), /unable to find group staff/);
});

test('root missing from passwd still gets HOME=/root', () => {
  assert.equal(resolveUser({ user: '0', passwd: 'app:x:1000:1000::/home/app:/bin/sh\n', group: '' }).home, '/root');
});

test('--group-add: names and numbers, appended without repeats', () => {
  assert.deepEqual(r('app', { groupAdd: ['docker', '10', '5000'] }).additionalGids, [1000, 10, 33, 50, 999, 5000]);
  assert.throws(() => r('app', { groupAdd: ['nope'] }), /Unable to find group nope: no matching entries in group file/);
});

test('parsers skip malformed lines', () => {
  assert.equal(parsePasswd('x:y:notanumber:0::/:/bin/sh\nok:x:5:5::/h:/bin/sh\n').length, 1);
  assert.deepEqual(parseGroup('g:x:7:a,b,,c\nbad:x:z:\n'), [{ name: 'g', gid: 7, members: ['a', 'b', 'c'] }]);
});
