import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcHosts, resolvConf } from '../../../src/spec/etc';

test('/etc/hosts as Docker writes it', () => {
  const h = etcHosts(null, 'box');
  assert.match(h, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.doesNotMatch(h, /box/);
  assert.match(etcHosts('172.17.0.2', 'box'), /172\.17\.0\.2\tbox\n$/);
});

test('resolv.conf drops loopback servers and falls back to public ones', () => {
  assert.equal(resolvConf('search x\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n'), 'search x\nnameserver 10.0.0.1\n');
  assert.equal(resolvConf('nameserver 127.0.0.1\noptions edns0\n'), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(resolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});
