import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dockerFuncs, GO_TYPE, parseTemplate, TemplateExecError, TemplateParseError } from '../../../../src/cli/format/template';
import { asMap, asStruct, nilMap, nilPtr, nilSlice } from '../../../../src/cli/format/values';

const data = {
  Id: 'abc',
  Name: '/web',
  State: asStruct({ Status: 'running', Running: true, Pid: 4242, ExitCode: 0, Health: nilPtr(true) }, true),
  Config: asStruct(
    {
      Cmd: ['sh', '-c', 'exit 3'],
      Entrypoint: nilSlice(),
      Env: ['A=1', 'B=2'],
      Labels: asMap({ b: '2', a: '1' }),
      Volumes: nilMap(),
      Tty: false,
    },
    true,
  ),
  Mounts: [
    { Type: 'bind', Source: '/src/a', Destination: '/a' },
    { Type: 'volume', Source: '/var/v', Destination: '/v', Name: 'v1' },
  ],
  Raw: { present: null },
};

/** Renders like `inspect -f`: missing keys are errors. */
function run(src: string, d: unknown = data): string {
  return parseTemplate(src, dockerFuncs).execute(d, { missingKey: 'error' });
}

function parseFails(src: string, message: string): void {
  assert.throws(
    () => parseTemplate(src, dockerFuncs),
    (e: unknown) => e instanceof TemplateParseError && e.message === message,
  );
}

function execFails(src: string, message: string, d: unknown = data): void {
  assert.throws(
    () => run(src, d),
    (e: unknown) => {
      assert.ok(e instanceof TemplateExecError, String(e));
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe('fields and printing', () => {
  test('field paths', () => {
    assert.equal(run('{{.State.Pid}}'), '4242');
    assert.equal(run('{{.Name}}'), '/web');
    assert.equal(run('{{.State.ExitCode}}'), '0');
    assert.equal(run('{{.State.Running}}'), 'true');
  });
  test('slices, maps and typed nils print as Go', () => {
    assert.equal(run('{{.Config.Cmd}}'), '[sh -c exit 3]');
    assert.equal(run('{{.Config.Labels}}'), 'map[a:1 b:2]');
    assert.equal(run('{{.Config.Entrypoint}}'), '[]');
    assert.equal(run('{{.Config.Volumes}}'), 'map[]');
    assert.equal(run('{{.State.Health}}'), '<nil>');
    assert.equal(run('{{.Raw.present}}'), '<no value>');
  });
  test('a missing key is an error with missingkey=error, "<no value>" otherwise', () => {
    execFails('{{.Foo}}', 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"');
    execFails('{{.State.Foo}}', 'template: :1:8: executing "" at <.State.Foo>: map has no entry for key "Foo"');
    assert.equal(parseTemplate('{{.Foo}}|{{.Raw.none}}').execute(data), '<no value>|<no value>');
  });
  test('fields of a scalar or a nil cannot be evaluated', () => {
    execFails('{{.State.Pid.X}}', 'template: :1:8: executing "" at <.State.Pid.X>: can\'t evaluate field X in type int');
    execFails('{{.Raw.present.X}}', 'template: :1:6: executing "" at <.Raw.present.X>: nil pointer evaluating interface {}.X');
  });
  test('structs named by GO_TYPE report unknown fields as docker does', () => {
    const ctx = { ID: () => 'x' };
    Object.defineProperty(ctx, GO_TYPE, { value: '*formatter.ContainerContext' });
    assert.equal(run('{{.ID}}', ctx), 'x');
    execFails('{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext', ctx);
  });
  test('methods take arguments', () => {
    const ctx = { Label: (n: string) => `label ${n}` };
    Object.defineProperty(ctx, GO_TYPE, { value: '*T' });
    assert.equal(run('{{.Label "com.x"}}', ctx), 'label com.x');
  });
  test('long contexts are cut to 20 characters in errors', () => {
    execFails('{{.Config.Labels.zzz.yyy.xxx}}', 'template: :1:9: executing "" at <.Config.Labels.zzz.y...>: map has no entry for key "zzz"');
  });
  test('literals', () => {
    assert.equal(run('{{"a\\tb"}}|{{`r\\aw`}}|{{\'a\'}}|{{1.5}}|{{42}}|{{0x1F}}|{{true}}'), 'a\tb|r\\aw|97|1.5|42|31|true');
  });
});

describe('actions', () => {
  test('range over slices, with index and element variables, and else', () => {
    assert.equal(run('{{range .Mounts}}{{.Source}}{{end}}'), '/src/a/var/v');
    assert.equal(run('{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}} {{end}}'), '0=/a 1=/v ');
    assert.equal(run('{{range .Config.Entrypoint}}x{{else}}none{{end}}'), 'none');
    assert.equal(run('{{range .Raw.present}}x{{else}}nil{{end}}'), 'nil');
  });
  test('range over maps in key order, and over an integer', () => {
    assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}{{$v}};{{end}}'), 'a1;b2;');
    assert.equal(run('{{range 3}}{{.}}{{end}}'), '012');
  });
  test('break and continue', () => {
    assert.equal(run('{{range .Config.Cmd}}{{if eq . "-c"}}{{continue}}{{end}}{{.}};{{end}}'), 'sh;exit 3;');
    assert.equal(run('{{range .Config.Cmd}}{{if eq . "-c"}}{{break}}{{end}}{{.}};{{end}}'), 'sh;');
  });
  test('if / else if / else, with', () => {
    assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
    assert.equal(run('{{if .Config.Tty}}tty{{else if .State.Running}}run{{else}}no{{end}}'), 'run');
    assert.equal(run('{{with .State}}{{.Status}}{{end}}'), 'running');
    assert.equal(run('{{with .Config.Entrypoint}}x{{else}}empty{{end}}'), 'empty');
  });
  test('variables: declaration, assignment, $', () => {
    assert.equal(run('{{$n := 1}}{{$n = 2}}{{$n}}'), '2');
    assert.equal(run('{{range .Mounts}}{{$.Name}}{{end}}'), '/web/web');
  });
  test('trim markers and comments', () => {
    assert.equal(run('a  {{- .Name -}}  b'), 'a/webb');
    assert.equal(run('{{/* note */}}x{{- /* trimmed */ -}}  y'), 'xy');
  });
  test('pipelines and parenthesized arguments', () => {
    assert.equal(run('{{.Name | printf "%q"}}'), '"/web"');
    assert.equal(run('{{(index .Mounts 1).Name}}'), 'v1');
    assert.equal(run('{{len .Mounts | printf "%d mounts"}}'), '2 mounts');
  });
});

describe('functions', () => {
  test('json writes compact JSON without HTML escapes, nil as null', () => {
    assert.equal(run('{{json .Config.Cmd}}'), '["sh","-c","exit 3"]');
    assert.equal(run('{{json .Config.Entrypoint}}'), 'null');
    assert.equal(run('{{json .Config.Labels}}'), '{"a":"1","b":"2"}');
    assert.equal(run('{{json "<&>"}}'), '"<&>"');
  });
  test("docker's string functions", () => {
    assert.equal(run('{{join .Config.Env ","}}'), 'A=1,B=2');
    assert.equal(run('{{split "a,b" ","}}'), '[a b]');
    assert.equal(run('{{upper .Name}} {{lower "AB"}} {{title "hello world"}}'), '/WEB ab Hello World');
    assert.equal(run('{{pad .Name 1 2}}|{{pad "" 1 2}}|'), ' /web  ||');
    assert.equal(run('{{truncate .Name 2}}'), '/w');
  });
  test('builtins', () => {
    assert.equal(run('{{index .Config.Cmd 2}}'), 'exit 3');
    assert.equal(run('{{index .Config.Labels "a"}}'), '1');
    assert.equal(run('{{len .Config.Env}} {{len "héllo"}}'), '2 6');
    assert.equal(run('{{and 1 0 2}} {{or 0 "" "z"}} {{not true}}'), '0 z false');
    assert.equal(run('{{eq .State.Status "exited" "running"}} {{ne 1 2}} {{lt 1 2}} {{ge "b" "a"}}'), 'true true true true');
    assert.equal(run('{{print 1 2 "a" 3}}|{{println "x" 1}}'), '1 2a3|x 1\n');
    assert.equal(run('{{slice "abcdef" 1 3}} {{slice .Config.Cmd 1}}'), 'bc [-c exit 3]');
  });
  test('printf verbs, flags and error forms', () => {
    assert.equal(run('{{printf "%s:%d" .Name .State.Pid}}'), '/web:4242');
    assert.equal(run('{{printf "%5.2f|%-4d|%x|%v|%05d|%+d|%q|%t" 3.14159 7 255 .Config.Cmd 42 3 "a" true}}'), ' 3.14|7   |ff|[sh -c exit 3]|00042|+3|"a"|true');
    assert.equal(run('{{printf "%d" "x"}}'), '%!d(string=x)');
    assert.equal(run('{{printf "%s %s" "a"}}'), 'a %!s(MISSING)');
    assert.equal(run('{{printf "%s" "a" 1}}'), 'a%!(EXTRA int=1)');
    assert.equal(run('{{printf "100%%"}}'), '100%');
  });
  test('call errors carry the command', () => {
    execFails('{{index .Mounts 5}}', 'template: :1:2: executing "" at <index .Mounts 5>: error calling index: index out of range: 5');
    execFails('{{lower .State.Pid}}', 'template: :1:14: executing "" at <.State.Pid>: wrong type for value; expected string; got int');
    execFails('{{eq .Name 1}}', 'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison');
    execFails('{{len 3}}', 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
    execFails('{{index}}', 'template: :1:2: executing "" at <index>: wrong number of args for index: want at least 1 got 0');
    execFails('{{not 1 2}}', 'template: :1:2: executing "" at <not 1 2>: wrong number of args for not: want 1 got 2');
  });
});

describe("parse errors, with Go's words", () => {
  test('unclosed and unbalanced actions', () => {
    parseFails('{{.Foo', 'template: :1: unclosed action');
    parseFails('{{.Foo}', "template: :1: bad character U+007D '}'");
    parseFails('a\n{{.Foo', 'template: :2: unclosed action');
    parseFails('{{(.Foo}}', 'template: :1: unclosed left paren');
    parseFails('{{.Foo)}}', 'template: :1: unexpected right paren');
  });
  test('blocks', () => {
    parseFails('{{end}}', 'template: :1: unexpected {{end}}');
    parseFails('{{else}}', 'template: :1: unexpected {{else}}');
    parseFails('{{if .X}}', 'template: :1: unexpected EOF');
    parseFails('{{range .X}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}');
    parseFails('{{break}}', 'template: :1: {{break}} outside {{range}}');
  });
  test('names', () => {
    parseFails('{{foo}}', 'template: :1: function "foo" not defined');
    parseFails('{{$x}}', 'template: :1: undefined variable "$x"');
    parseFails('{{}}', 'template: :1: missing value for command');
    parseFails('{{"abc}}', 'template: :1: unterminated quoted string');
    parseFails('{{/* x }}', 'template: :1: unclosed comment');
    parseFails('{{.X | 3}}', 'template: :1: non executable command in pipeline stage 2');
  });
  test('define and template are not supported', () => {
    assert.throws(() => parseTemplate('{{define "x"}}{{end}}'), TemplateParseError);
  });
});
