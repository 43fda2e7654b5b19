import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerSizeText, formatG, humanSize, humanSizeWithPrecision } from '../../../../src/cli/format/size';

describe("formatG: Go's %.<p>g", () => {
  const cases: Array<[number, number, string]> = [
    [0, 3, '0'],
    [1, 3, '1'],
    [1.5, 3, '1.5'],
    [100, 3, '100'],
    [999.4, 3, '999'],
    [999.5, 3, '1e+03'],
    [123456, 3, '1.23e+05'],
    [0.0001234, 3, '0.000123'],
    [0.00001234, 3, '1.23e-05'],
    [1.125, 3, '1.12'], // an exact tie rounds half to even
    [1.135, 3, '1.14'], // not a tie: 1.135 is 1.13500000000000000888... as a double
    [2.5, 1, '2'],
    [3.5, 1, '4'],
    [12.3456, 4, '12.35'],
    [-4.5, 3, '-4.5'],
  ];
  for (const [x, p, want] of cases) test(`%.${p}g of ${x} = ${want}`, () => assert.equal(formatG(x, p), want));
});

describe("go-units sizes: decimal units", () => {
  test('HumanSizeWithPrecision 3, as ps -s', () => {
    assert.equal(humanSizeWithPrecision(0, 3), '0B');
    assert.equal(humanSizeWithPrecision(2, 3), '2B');
    assert.equal(humanSizeWithPrecision(999, 3), '999B');
    assert.equal(humanSizeWithPrecision(1000, 3), '1kB');
    assert.equal(humanSizeWithPrecision(1234567, 3), '1.23MB');
    assert.equal(humanSizeWithPrecision(21_500_000, 3), '21.5MB');
    assert.equal(humanSizeWithPrecision(999_999, 3), '1e+03kB');
  });
  test('HumanSize (4 digits), as prune prints the reclaimed space', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(1234567), '1.235MB');
    assert.equal(humanSize(999_999), '1000kB');
    assert.equal(humanSize(5e15), '5PB');
  });
  test('the SIZE column: the writable layer, and the virtual size when known', () => {
    assert.equal(containerSizeText(2, 21_500_000), '2B (virtual 21.5MB)');
    assert.equal(containerSizeText(0, 0), '0B');
  });
});
