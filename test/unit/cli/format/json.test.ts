import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goJson, goJsonString } from '../../../../src/cli/format/json';
import { asMap, nilMap, nilPtr, nilSlice } from '../../../../src/cli/format/values';

describe("goJson: Go's encoding/json", () => {
  test("the daemon's encoder escapes HTML characters; {{json}} does not", () => {
    assert.equal(goJsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(goJsonString('a<b>&c', false), '"a<b>&c"');
  });
  test('control characters and line separators', () => {
    assert.equal(goJsonString('\n\t\r\b\f\x01\u2028'), '"\\n\\t\\r\\b\\f\\u0001\\u2028"');
  });
  test('typed nils: null, or left out when omitempty', () => {
    assert.equal(goJson({ a: nilSlice(), b: nilMap(), c: nilPtr(true), d: 1 }), '{"a":null,"b":null,"d":1}');
  });
  test('maps sort their keys, structs keep their order', () => {
    assert.equal(goJson({ z: 1, a: asMap({ y: 1, b: 2 }) }), '{"z":1,"a":{"b":2,"y":1}}');
  });
  test("json.Indent's layout with four spaces", () => {
    assert.equal(goJson([{ A: [], B: {}, C: [1, 2] }], { indent: '    ' }), '[\n    {\n        "A": [],\n        "B": {},\n        "C": [\n            1,\n            2\n        ]\n    }\n]');
  });
});
