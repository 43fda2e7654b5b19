import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampRlimits, parseProcLimits, parseUlimit, parseUlimits, RLIM_INFINITY, ULIMIT_RESOURCES } from '../../../src/spec/security/rlimits';
import { UsageError } from '../../../src/common/errors';

test("Docker's names map to RLIMIT_* numbers", () => {
  assert.deepEqual(Object.keys(ULIMIT_RESOURCES).sort(), [
    'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
  ]);
  assert.equal(ULIMIT_RESOURCES.nofile, 7);
  assert.equal(ULIMIT_RESOURCES.nproc, 6);
  assert.equal(ULIMIT_RESOURCES.core, 4);
  assert.equal(ULIMIT_RESOURCES.rttime, 15);
});

test('soft[:hard], hard defaults to soft, -1 and unlimited mean infinity', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', resource: 7, soft: 1024n, hard: 2048n });
  assert.deepEqual(parseUlimit('core=0'), { name: 'core', resource: 4, soft: 0n, hard: 0n });
  assert.deepEqual(parseUlimit('memlock=-1'), { name: 'memlock', resource: 8, soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  assert.deepEqual(parseUlimit('stack=8388608:unlimited'), { name: 'stack', resource: 3, soft: 8388608n, hard: RLIM_INFINITY });
});

test('bad values: one clear line, exit 125', () => {
  const cases: [string, RegExp][] = [
    ['nofile', /^invalid ulimit argument: nofile$/],
    ['as=1', /^invalid ulimit type: as$/],
    ['bogus=1', /^invalid ulimit type: bogus$/],
    ['nofile=1:2:3', /too many limit value arguments - 1:2:3/],
    ['nofile=abc', /invalid ulimit value "abc"/],
    ['nofile=-5', /invalid ulimit value "-5"/],
    ['nofile=', /invalid ulimit value ""/],
    ['nofile=2048:1024', /^ulimit soft limit must be less than or equal to hard limit: 2048 > 1024$/],
    ['nofile=-1:1024', /soft limit must be less than or equal to hard limit: unlimited > 1024/],
  ];
  for (const [arg, re] of cases) {
    assert.throws(() => parseUlimit(arg), (e: unknown) => e instanceof UsageError && e.exitCode === 125 && re.test(e.message), arg);
  }
});

test('the last value of a repeated name wins', () => {
  assert.deepEqual(parseUlimits(['nofile=1', 'core=0', 'nofile=2']).map((r) => [r.name, r.soft]), [['core', 0n], ['nofile', 2n]]);
});

const PROC = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max data size             unlimited            unlimited            bytes     
Max stack size            8388608              unlimited            bytes     
Max core file size        0                    unlimited            bytes     
Max resident set          unlimited            unlimited            bytes     
Max processes             63448                63448                processes 
Max open files            1048576              1048576              files     
Max locked memory         8388608              8388608              bytes     
Max address space         unlimited            unlimited            bytes     
Max file locks            unlimited            unlimited            locks     
Max pending signals       63448                63448                signals   
Max msgqueue size         819200               819200               bytes     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
`;

test('/proc/self/limits parses into the 16 resources', () => {
  const m = parseProcLimits(PROC);
  assert.equal(m.size, 16);
  assert.deepEqual(m.get(7), { soft: 1048576n, hard: 1048576n });
  assert.deepEqual(m.get(3), { soft: 8388608n, hard: RLIM_INFINITY });
  assert.deepEqual(m.get(13), { soft: 0n, hard: 0n });
  assert.deepEqual(m.get(15), { soft: RLIM_INFINITY, hard: RLIM_INFINITY });
});

test('limits within the caller hard limit pass; raising a hard limit is refused', () => {
  const caller = parseProcLimits(PROC);
  const ok = clampRlimits(parseUlimits(['nofile=1024:1048576', 'core=-1', 'nproc=100']), caller);
  assert.equal(ok.length, 3);
  assert.throws(
    () => clampRlimits([parseUlimit('nofile=2000000')], caller),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === '--ulimit nofile=2000000:2000000: hard limit 2000000 is above this user\'s hard limit 1048576 (raising it needs CAP_SYS_RESOURCE)',
  );
  assert.throws(() => clampRlimits([parseUlimit('memlock=-1')], caller), /hard limit unlimited is above this user's hard limit 8388608/);
  assert.throws(() => clampRlimits([parseUlimit('rtprio=1')], caller), /above this user's hard limit 0/);
});

test('the real /proc/self/limits parses', async () => {
  const { readFileSync } = await import('node:fs');
  const m = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  assert.equal(m.size, 16);
});
