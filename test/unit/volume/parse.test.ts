import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../../src/common/errors';
import {
  type MountSpec,
  type ParseEnv,
  parseMountFlag,
  parseMountFlags,
  parseTmpfsFlag,
  parseVolumeFlag,
  ramInBytes,
  splitCsvRecord,
  validateVolumeName,
  volumeNameProblem,
} from '../../../src/volume/parse';

const env: ParseEnv = { cwd: '/home/u/proj', exists: (p) => p !== '/nope' && !p.startsWith('/nope/') };

/** Asserts a one-line UsageError with exactly this message. */
function refuses(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.exitCode, 125);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

const v = (raw: string) => parseVolumeFlag(raw, env);
const m = (raw: string) => parseMountFlag(raw, env);

describe('-v: valid forms', () => {
  test('HOST:CTR binds an absolute host path, creating it if missing', () => {
    assert.deepEqual(v('/srv/data:/data'), {
      type: 'bind',
      source: '/srv/data',
      target: '/data',
      readonly: false,
      createSource: true,
    });
  });

  test('HOST:CTR:ro', () => {
    assert.deepEqual(v('/srv:/data:ro'), { type: 'bind', source: '/srv', target: '/data', readonly: true, createSource: true });
  });

  test('rw is the default and may be written', () => {
    assert.equal((v('/srv:/data:rw') as { readonly: boolean }).readonly, false);
  });

  test('every propagation mode, alone or with ro and a label mode, in any order', () => {
    for (const p of ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const) {
      assert.deepEqual(v(`/h:/c:${p}`), { type: 'bind', source: '/h', target: '/c', readonly: false, propagation: p, createSource: true });
    }
    for (const mode of ['ro,shared', 'ro,z,shared', 'Z,ro,slave', 'slave,Z,ro', 'rslave,ro,Z', 'ro,Z,rprivate']) {
      const s = v(`/h:/c:${mode}`);
      assert.equal(s.type, 'bind');
      assert.equal(s.readonly, true, mode);
      assert.ok(s.type === 'bind' && s.propagation !== undefined, mode);
    }
  });

  test('z and Z are accepted and ignored', () => {
    assert.deepEqual(v('/h:/c:z'), { type: 'bind', source: '/h', target: '/c', readonly: false, createSource: true });
    assert.deepEqual(v('/h:/c:Z'), { type: 'bind', source: '/h', target: '/c', readonly: false, createSource: true });
  });

  test('NAME:CTR uses a named volume; nocopy and ro apply', () => {
    assert.deepEqual(v('mydata:/var/lib/db'), { type: 'volume', name: 'mydata', target: '/var/lib/db', readonly: false, nocopy: false });
    assert.deepEqual(v('my.data_1-x:/d:ro,nocopy'), { type: 'volume', name: 'my.data_1-x', target: '/d', readonly: true, nocopy: true });
  });

  test('a lone /CTR is an anonymous volume', () => {
    assert.deepEqual(v('/data'), { type: 'volume', name: null, target: '/data', readonly: false, nocopy: false });
    assert.deepEqual(v('/with space'), { type: 'volume', name: null, target: '/with space', readonly: false, nocopy: false });
  });

  test('./, ../ and . sources are made absolute against cwd', () => {
    assert.equal((v('./data:/d') as { source: string }).source, '/home/u/proj/data');
    assert.equal((v('../up:/d') as { source: string }).source, '/home/u/up');
    assert.equal((v('.:/d') as { source: string }).source, '/home/u/proj');
    assert.equal((v('./a/../b/:/d') as { source: string }).source, '/home/u/proj/b');
  });

  test('source and target are cleaned', () => {
    const s = v('/srv//x/../y/:/data/./sub/');
    assert.equal(s.type, 'bind');
    assert.equal((s as { source: string }).source, '/srv/y');
    assert.equal(s.target, '/data/sub');
  });
});

describe('-v: bad input, with Docker wording', () => {
  test('-v H:data (destination not absolute)', () => {
    refuses(
      () => v('/h:data'),
      `invalid volume specification: '/h:data': invalid mount config for type "bind": invalid mount path: 'data' mount path must be absolute`,
    );
    refuses(
      () => v('H:data'),
      `invalid volume specification: 'H:data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`,
    );
  });

  test('-v H:/ (destination is the root)', () => {
    refuses(
      () => v('/h:/'),
      `invalid volume specification: '/h:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    );
    refuses(
      () => v('/h:/..'),
      `invalid volume specification: '/h:/..': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    );
  });

  test('-v :/d (empty source)', () => {
    refuses(() => v(':/d'), 'invalid spec: :/d: empty section between colons');
  });

  test('-v H: (empty destination)', () => {
    refuses(() => v('/h:'), 'invalid spec: /h:: empty section between colons');
    refuses(() => v('H:'), "invalid volume specification: 'H:'");
    refuses(() => v('/h:/d:'), 'invalid spec: /h:/d:: empty section between colons');
    refuses(() => v('/h::ro'), 'invalid spec: /h::ro: empty section between colons');
  });

  test('-v H:/d:ro:x (too many colons)', () => {
    refuses(() => v('H:/d:ro:x'), "invalid volume specification: 'H:/d:ro:x'");
    refuses(() => v('/h:/d:ro:x'), 'invalid spec: /h:/d:ro:x: too many colons');
  });

  test('-v H:/d:bogus (invalid mode)', () => {
    refuses(() => v('/h:/d:bogus'), 'invalid mode: bogus');
    refuses(() => v('H:/d:bogus'), 'invalid mode: bogus');
    refuses(() => v('/h:/d:rwz'), 'invalid mode: rwz');
    refuses(() => v('/h:/d:ro,rw'), 'invalid mode: ro,rw');
    refuses(() => v('/h:/d:ro,rshared,rslave'), 'invalid mode: ro,rshared,rslave');
    refuses(() => v('/h:/d:nocopy,nocopy'), 'invalid mode: nocopy,nocopy');
  });

  test('-v /d:ro (a destination with a mode is not a volume)', () => {
    refuses(() => v('/d:ro'), "invalid volume specification: '/d:ro'");
    refuses(() => v('/d:rw'), "invalid volume specification: '/d:rw'");
    refuses(() => v('/path:shared'), "invalid volume specification: '/path:shared'");
    refuses(() => v('path:ro'), "invalid volume specification: 'path:ro'");
  });

  test('-v bad/name:/d', () => {
    refuses(
      () => v('bad/name:/d'),
      'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    refuses(
      () => v('~/x:/d'),
      'create ~/x: "~/x" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    refuses(() => v('x:/d'), 'create x: volume name is too short, names should be at least two alphanumeric characters');
  });

  test('propagation on a volume, nocopy on a bind', () => {
    refuses(
      () => v('name:/d:shared'),
      `invalid volume specification: 'name:/d:shared': invalid mount config for type "volume": field BindOptions must not be specified`,
    );
    refuses(
      () => v('/h:/d:nocopy'),
      `invalid volume specification: '/h:/d:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`,
    );
  });

  test('empty and relative anonymous', () => {
    refuses(() => v(''), 'invalid empty volume spec');
    refuses(
      () => v('data'),
      `invalid volume specification: 'data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`,
    );
  });

  test('a relative bind source is reported made absolute', () => {
    refuses(
      () => v('./x:rel'),
      `invalid volume specification: '/home/u/proj/x:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
    );
  });
});

describe('--mount', () => {
  test('type=bind with every key spelling', () => {
    const want: MountSpec = { type: 'bind', source: '/srv', target: '/d', readonly: true, propagation: 'rslave', createSource: false };
    assert.deepEqual(m('type=bind,source=/srv,target=/d,readonly,bind-propagation=rslave'), want);
    assert.deepEqual(m('type=bind,src=/srv,dst=/d,ro=true,bind-propagation=RSLAVE'), want);
    assert.deepEqual(m('type=BIND,src=/srv,destination=/d,ro=1,bind-propagation=rslave,consistency=cached'), want);
    assert.deepEqual(m('type=bind,src=/srv,dst=/d,readonly=false'), {
      type: 'bind',
      source: '/srv',
      target: '/d',
      readonly: false,
      createSource: false,
    });
    assert.equal(m('type=bind,src=/srv,dst=/d,ro=0').readonly, false);
  });

  test('type=bind: relative source made absolute', () => {
    assert.equal((m('type=bind,src=./a,dst=/d') as { source: string }).source, '/home/u/proj/a');
    assert.equal((m('type=bind,src=.,dst=/d') as { source: string }).source, '/home/u/proj');
    assert.equal((m('type=bind,src=../b,dst=/d') as { source: string }).source, '/home/u/b');
  });

  test('type defaults to volume; named, anonymous, nocopy, labels, options', () => {
    assert.deepEqual(m('src=vol1,dst=/d'), { type: 'volume', name: 'vol1', target: '/d', readonly: false, nocopy: false });
    assert.deepEqual(m('type=volume,target=/d'), { type: 'volume', name: null, target: '/d', readonly: false, nocopy: false });
    assert.deepEqual(m('type=volume,src=vol1,dst=/d,volume-nocopy'), { type: 'volume', name: 'vol1', target: '/d', readonly: false, nocopy: true });
    assert.deepEqual(m('type=volume,src=vol1,dst=/d,volume-nocopy=true,ro'), {
      type: 'volume',
      name: 'vol1',
      target: '/d',
      readonly: true,
      nocopy: true,
    });
    assert.deepEqual(m('src=vol1,dst=/d,volume-label=a=b,volume-label=c,volume-opt=type=tmpfs'), {
      type: 'volume',
      name: 'vol1',
      target: '/d',
      readonly: false,
      nocopy: false,
      labels: { a: 'b', c: '' },
      driverOptions: { type: 'tmpfs' },
    });
  });

  test('type=tmpfs with size (units) and octal mode', () => {
    assert.deepEqual(m('type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777'), {
      type: 'tmpfs',
      target: '/t',
      readonly: false,
      sizeBytes: 64 * 1024 * 1024,
      mode: 0o1777,
      options: ['noexec', 'nosuid', 'nodev'],
    });
    assert.equal((m('type=tmpfs,dst=/t,tmpfs-size=1.5g') as { sizeBytes: number }).sizeBytes, 1.5 * 2 ** 30);
    assert.equal((m('type=tmpfs,dst=/t,tmpfs-size=100') as { sizeBytes: number }).sizeBytes, 100);
    assert.equal((m('type=tmpfs,dst=/t,tmpfs-size=512KiB') as { sizeBytes: number }).sizeBytes, 512 * 1024);
  });

  test('quoted CSV fields', () => {
    assert.equal(m('type=bind,"src=/a,b","dst=/x ""y"""').target, '/x "y"');
    assert.equal((m('type=bind,"src=/a,b",dst=/x') as { source: string }).source, '/a,b');
  });

  test('unknown type', () => {
    refuses(() => m('type=foo,dst=/d'), 'invalid mount config for type "foo": mount type unknown');
    refuses(() => m('type=npipe,src=/a,dst=/d'), 'invalid mount config for type "npipe": mount type unknown');
    refuses(() => m('type=,dst=/d'), 'type is required');
  });

  test('no target', () => {
    refuses(() => m('type=bind,src=/srv'), 'target is required');
    refuses(() => m('type=volume,src=v1'), 'target is required');
    refuses(() => m('type=tmpfs'), 'target is required');
  });

  test('bind source missing', () => {
    refuses(() => m('type=bind,src=/nope,dst=/d'), 'invalid mount config for type "bind": bind source path does not exist: /nope');
    refuses(() => m('type=bind,dst=/d'), 'invalid mount config for type "bind": field Source must not be empty');
    refuses(
      () => parseMountFlag('type=bind,src=/x,dst=/d', { cwd: '/', exists: () => { throw new Error('stat /x: permission denied'); } }),
      'invalid mount config for type "bind": stat /x: permission denied',
    );
  });

  test('bad destinations', () => {
    refuses(() => m('type=bind,src=/srv,dst=data'), `invalid mount config for type "bind": invalid mount path: 'data' mount path must be absolute`);
    refuses(() => m('type=volume,src=v1,dst=/'), `invalid mount config for type "volume": invalid specification: destination can't be '/'`);
    refuses(() => m('type=tmpfs,dst=rel'), `invalid mount config for type "tmpfs": invalid mount path: 'rel' mount path must be absolute`);
  });

  test('bad keys and values', () => {
    refuses(() => m('x=y'), "unexpected key 'x' in 'x=y'");
    refuses(() => m('type=bind,src=/srv,dst=/d,bogus'), "invalid field 'bogus' must be a key=value pair");
    refuses(() => m('type=bind,src=/srv,dst=/d,ro=maybe'), 'invalid value for ro: maybe');
    refuses(() => m('dst=/d,volume-nocopy=maybe'), 'invalid value for volume-nocopy: maybe');
    refuses(() => m('type=tmpfs,dst=/t,tmpfs-size=lots'), 'invalid value for tmpfs-size: lots');
    refuses(() => m('type=tmpfs,dst=/t,tmpfs-mode=999'), 'invalid value for tmpfs-mode: 999');
    refuses(() => m('type=bind,src=/srv,dst=/d,bind-propagation=sideways'), 'invalid mount config for type "bind": invalid propagation mode: sideways');
    refuses(() => m(''), 'value is empty');
    refuses(() => m('type=bind,src=/a"b,dst=/d'), 'parse error on line 1, column 17: bare " in non-quoted-field');
    refuses(() => m('type=bind,"src=/a'), 'parse error on line 1, column 18: extraneous or missing " in quoted-field');
  });

  test('options of another type are refused', () => {
    refuses(() => m('type=bind,src=/srv,dst=/d,volume-nocopy'), "cannot mix 'volume-*' options with mount type 'bind'");
    refuses(() => m('type=volume,dst=/d,bind-propagation=shared'), "cannot mix 'bind-*' options with mount type 'volume'");
    refuses(() => m('type=bind,src=/srv,dst=/d,tmpfs-size=1m'), "cannot mix 'tmpfs-*' options with mount type 'bind'");
    refuses(() => m('type=tmpfs,src=x,dst=/t'), 'invalid mount config for type "tmpfs": field Source must not be specified');
  });

  test('volume names and drivers', () => {
    refuses(
      () => m('type=volume,src=bad/name,dst=/d'),
      'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
    refuses(() => m('src=v1,dst=/d,volume-driver=nfs'), 'error looking up volume plugin nfs: plugin "nfs" not found');
    assert.equal(m('src=v1,dst=/d,volume-driver=local').type, 'volume');
  });
});

describe('--tmpfs', () => {
  test('a bare path gets Docker defaults', () => {
    assert.deepEqual(parseTmpfsFlag('/run'), { type: 'tmpfs', target: '/run', readonly: false, options: ['noexec', 'nosuid', 'nodev'] });
  });

  test('size, mode, flags and data options; the last of a flag and its opposite wins', () => {
    assert.deepEqual(parseTmpfsFlag('/run:rw,exec,size=65536k,mode=1777,uid=1000,noatime'), {
      type: 'tmpfs',
      target: '/run',
      readonly: false,
      sizeBytes: 65536 * 1024,
      mode: 0o1777,
      options: ['nosuid', 'nodev', 'exec', 'uid=1000', 'noatime'],
    });
    assert.deepEqual(parseTmpfsFlag('/t:ro,size=1g,size=2m'), {
      type: 'tmpfs',
      target: '/t',
      readonly: true,
      sizeBytes: 2 * 1024 * 1024,
      options: ['noexec', 'nosuid', 'nodev'],
    });
    assert.deepEqual(parseTmpfsFlag('/t/:size=50%,suid,dev,defaults,rprivate'), {
      type: 'tmpfs',
      target: '/t',
      readonly: false,
      options: ['noexec', 'size=50%', 'suid', 'dev'],
    });
  });

  test('bad options and destinations', () => {
    refuses(() => parseTmpfsFlag('/t:foo'), 'invalid tmpfs option ["foo"]');
    refuses(() => parseTmpfsFlag('/t:foo=bar'), 'invalid tmpfs option ["foo" "bar"]');
    refuses(() => parseTmpfsFlag('/t:size'), 'invalid tmpfs option ["size"]');
    refuses(() => parseTmpfsFlag('/t:size=big'), 'invalid tmpfs size: big');
    refuses(() => parseTmpfsFlag('/t:mode=rwx'), 'invalid tmpfs mode: rwx');
    refuses(() => parseTmpfsFlag('/'), "invalid specification: destination can't be '/'");
    refuses(() => parseTmpfsFlag('tmp'), "invalid mount path: 'tmp' mount path must be absolute");
    refuses(() => parseTmpfsFlag(':size=1m'), "invalid mount path: '' mount path must be absolute");
  });
});

describe('parseMountFlags: the whole command line', () => {
  test('mixes every flag, keeps command-line order, normalizes', () => {
    const list = parseMountFlags(
      { volumes: ['/srv:/a/', 'vol1:/b'], mounts: ['type=tmpfs,dst=/c'], tmpfs: ['/d:size=1m'] },
      env,
    );
    assert.deepEqual(
      list.map((x) => [x.type, x.target]),
      [
        ['bind', '/a'],
        ['volume', '/b'],
        ['tmpfs', '/c'],
        ['tmpfs', '/d'],
      ],
    );
  });

  test('duplicate destinations, from any mix of flags', () => {
    refuses(() => parseMountFlags({ volumes: ['/a:/d', '/b:/d/'] }, env), 'Duplicate mount point: /d');
    refuses(() => parseMountFlags({ volumes: ['/a:/d'], tmpfs: ['/d'] }, env), 'Duplicate mount point: /d');
    refuses(() => parseMountFlags({ volumes: ['/d'], mounts: ['type=bind,src=/a,dst=/d'] }, env), 'Duplicate mount point: /d');
    refuses(() => parseMountFlags({ mounts: ['dst=/d', 'type=tmpfs,dst=/d/.'] }, env), 'Duplicate mount point: /d');
    refuses(() => parseMountFlags({ tmpfs: ['/d', '/d:size=1m'] }, env), 'Duplicate mount point: /d');
  });

  test('an identical -v or --tmpfs value given twice counts once, as in Docker', () => {
    assert.equal(parseMountFlags({ volumes: ['/a:/d', '/a:/d'] }, env).length, 1);
    assert.equal(parseMountFlags({ tmpfs: ['/t', '/t'] }, env).length, 1);
  });

  test('refused destinations', () => {
    refuses(() => parseMountFlags({ volumes: ['/a:/proc'] }, env), "invalid mount destination '/proc': mounting on or inside /proc is not allowed");
    refuses(() => parseMountFlags({ tmpfs: ['/proc/sys'] }, env), "invalid mount destination '/proc/sys': mounting on or inside /proc is not allowed");
    refuses(() => parseMountFlags({ mounts: ['dst=/sys'] }, env), "invalid mount destination '/sys': mounting on or inside /sys is not allowed");
    refuses(() => parseMountFlags({ volumes: ['/a:/sys/fs/cgroup'] }, env), "invalid mount destination '/sys/fs/cgroup': mounting on or inside /sys is not allowed");
    // Neighbours with a common prefix are fine.
    assert.equal(parseMountFlags({ volumes: ['/a:/procx', '/b:/system'] }, env).length, 2);
  });

  test('the first bad flag wins, nothing else matters', () => {
    refuses(() => parseMountFlags({ volumes: ['/a:/d', '/b:/d:bogus'], mounts: ['x=y'] }, env), 'invalid mode: bogus');
  });
});

describe('helpers', () => {
  test('volume names', () => {
    assert.equal(volumeNameProblem('ab'), null);
    assert.equal(volumeNameProblem('a.b_c-d9'), null);
    assert.equal(volumeNameProblem('0' + 'f'.repeat(63)), null);
    assert.match(volumeNameProblem('.ab') ?? '', /includes invalid characters/);
    assert.match(volumeNameProblem('-ab') ?? '', /includes invalid characters/);
    assert.match(volumeNameProblem('a b') ?? '', /includes invalid characters/);
    assert.match(volumeNameProblem('a') ?? '', /too short/);
    assert.throws(() => validateVolumeName('..'), UsageError);
  });

  test('ramInBytes', () => {
    assert.equal(ramInBytes('64m'), 64 * 2 ** 20);
    assert.equal(ramInBytes('64 MB'), 64 * 2 ** 20);
    assert.equal(ramInBytes('1g'), 2 ** 30);
    assert.equal(ramInBytes('10'), 10);
    assert.equal(ramInBytes('1x'), null);
    assert.equal(ramInBytes('-1'), null);
  });

  test('splitCsvRecord', () => {
    assert.deepEqual(splitCsvRecord('a,b,,c'), ['a', 'b', '', 'c']);
    assert.deepEqual(splitCsvRecord('"a,b",c'), ['a,b', 'c']);
    assert.deepEqual(splitCsvRecord('"a""b"'), ['a"b']);
  });
});
