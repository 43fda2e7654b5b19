import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { goTimeString, humanDuration, runningFor, statusText } from '../../../../src/cli/format/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("humanDuration: go-units' HumanDuration", () => {
  const cases: Array<[number, string]> = [
    [-5 * S, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [1999, '1 second'],
    [2 * S, '2 seconds'],
    [59 * S + 999, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [2 * M, '2 minutes'],
    [59 * M + 59 * S, '59 minutes'],
    [60 * M, 'About an hour'],
    [89 * M, 'About an hour'],
    [90 * M, '2 hours'],
    [47 * H, '47 hours'],
    [47 * H + 30 * M, '2 days'],
    [13 * D, '13 days'],
    [14 * D, '2 weeks'],
    [59 * D, '8 weeks'],
    [60 * D, '2 months'],
    [729 * D, '24 months'],
    [730 * D, '2 years'],
    [3 * 365 * D, '3 years'],
  ];
  for (const [ms, want] of cases) test(`${ms} ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe('statusText: the STATUS column (State.String)', () => {
  const now = Date.parse('2024-01-01T12:00:00Z');
  const base = { Running: false, Paused: false, Restarting: false, Dead: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' };

  test('never started: Created', () => assert.equal(statusText(base, now), 'Created'));
  test('running: Up and the time since it started', () => {
    assert.equal(statusText({ ...base, Running: true, StartedAt: '2024-01-01T11:59:57Z' }, now), 'Up 3 seconds');
    assert.equal(statusText({ ...base, Running: true, StartedAt: '2024-01-01T11:59:59.500Z' }, now), 'Up Less than a second');
  });
  test('paused and restarting', () => {
    assert.equal(statusText({ ...base, Running: true, Paused: true, StartedAt: '2024-01-01T11:00:00Z' }, now), 'Up About an hour (Paused)');
    assert.equal(statusText({ ...base, Running: true, Restarting: true, ExitCode: 1, StartedAt: '2024-01-01T11:00:00Z', FinishedAt: '2024-01-01T11:58:00Z' }, now), 'Restarting (1) 2 minutes ago');
  });
  test('exited: the exit code and the time since it finished', () => {
    assert.equal(statusText({ ...base, ExitCode: 137, StartedAt: '2024-01-01T11:00:00Z', FinishedAt: '2024-01-01T11:58:00Z' }, now), 'Exited (137) 2 minutes ago');
    assert.equal(statusText({ ...base, ExitCode: 0, StartedAt: '2024-01-01T11:00:00Z', FinishedAt: '2024-01-01T11:59:00.000000001Z' }, now), 'Exited (0) About a minute ago');
  });
  test('dead and being removed', () => {
    assert.equal(statusText({ ...base, Dead: true, StartedAt: '2024-01-01T11:00:00Z' }, now), 'Dead');
    assert.equal(statusText({ ...base, RemovalInProgress: true }, now), 'Removal In Progress');
  });
  test('started but no end recorded: empty, as Docker', () => assert.equal(statusText({ ...base, StartedAt: '2024-01-01T11:00:00Z' }, now), ''));
});

describe('the CREATED column and {{.CreatedAt}}', () => {
  test('runningFor counts from whole seconds', () => {
    const now = Date.parse('2024-01-01T12:00:05.900Z');
    assert.equal(runningFor(Date.parse('2024-01-01T12:00:00Z') / 1000, now), '5 seconds ago');
    assert.equal(runningFor(Date.parse('2024-01-01T11:58:30Z') / 1000, now), 'About a minute ago');
  });
  test("goTimeString is Go's time.String() in the local zone", () => {
    const s = goTimeString(Date.parse('2024-03-04T05:06:07Z') / 1000);
    assert.match(s, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
    if (process.env.TZ === 'UTC' || new Date().getTimezoneOffset() === 0) assert.equal(s, '2024-03-04 05:06:07 +0000 UTC');
  });
});
