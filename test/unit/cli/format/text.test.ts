import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ellipsis, goQuote, truncateId } from '../../../../src/cli/format/text';

describe('truncateId', () => {
  test('12 characters, without an algorithm prefix', () => {
    assert.equal(truncateId('0123456789abcdef0123'), '0123456789ab');
    assert.equal(truncateId('sha256:0123456789abcdef0123'), '0123456789ab');
    assert.equal(truncateId('abc'), 'abc');
  });
});

describe("ellipsis: docker's formatter.Ellipsis", () => {
  test('cuts to max-1 characters and adds …', () => {
    assert.equal(ellipsis("sh -c 'sleep 1000; echo done'", 20), "sh -c 'sleep 1000; …");
    assert.equal(Array.from(ellipsis('x'.repeat(30), 20)).length, 20);
  });
  test('a string that fits is unchanged', () => {
    assert.equal(ellipsis('12345678901234567890', 20), '12345678901234567890');
    assert.equal(ellipsis('', 20), '');
  });
  test('wide characters count twice', () => {
    assert.equal(ellipsis('日本語の文字列です', 10), '日本語の…');
  });
  test('widths 0 and 1', () => {
    assert.equal(ellipsis('abc', 0), '');
    assert.equal(ellipsis('abc', 1), 'a');
  });
});

describe("goQuote: Go's strconv.Quote", () => {
  test('quotes and escapes as Go', () => {
    assert.equal(goQuote("sh -c 'exit 3'"), `"sh -c 'exit 3'"`);
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('tab\there\nnl'), '"tab\\there\\nnl"');
    assert.equal(goQuote('\x01\x7f'), '"\\x01\\x7f"');
  });
  test('printable Unicode stays, invisible characters are escaped', () => {
    assert.equal(goQuote('sleep…'), '"sleep…"');
    assert.equal(goQuote('é日'), '"é日"');
    assert.equal(goQuote('a\u00a0b\u200bc'), '"a\\u00a0b\\u200bc"');
  });
});
