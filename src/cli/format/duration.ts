/**
 * Docker's human-readable durations (go-units HumanDuration) and the texts built on
 * them: "Up 3 seconds", "Exited (0) 2 minutes ago", "About a minute ago".
 */

/** go-units HumanDuration: "Less than a second", "1 second", "About a minute", "3 days", ... */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** Milliseconds since the epoch of an RFC 3339 time; NaN for Docker's zero time or garbage. */
export function parseTime(s: string | undefined): number {
  if (!s || s.startsWith('0001-01-01')) return NaN;
  return Date.parse(s);
}

/** The fields of a container's state that its status text is made of. */
export interface StatusInput {
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  Dead: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  /** true while `rm` is removing it */
  RemovalInProgress?: boolean;
}

/** Docker's State.String(): the STATUS column of `ps`. */
export function statusText(s: StatusInput, now = Date.now()): string {
  const started = parseTime(s.StartedAt);
  const finished = parseTime(s.FinishedAt);
  if (s.Running) {
    const up = `Up ${humanDuration(now - started)}`;
    if (s.Paused) return `${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - finished)} ago`;
    return up;
  }
  if (s.RemovalInProgress) return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (Number.isNaN(started)) return 'Created';
  if (Number.isNaN(finished)) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - finished)} ago`;
}

/** The CREATED column: the creation time, truncated to the second as Docker's API has it. */
export function runningFor(createdUnixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - createdUnixSeconds * 1000)} ago`;
}

/**
 * Go's time.Time.String() of a unix time in the local zone, as `{{.CreatedAt}}` prints it:
 * "2024-05-01 10:11:12 +0200 CEST".
 */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const offMin = -d.getTimezoneOffset();
  const sign = offMin < 0 ? '-' : '+';
  const abs = Math.abs(offMin);
  const offset = `${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${offset} ${zoneAbbreviation(d, offMin)}`
  );
}

function zoneAbbreviation(d: Date, offMin: number): string {
  let name = '';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    name = part?.value ?? '';
  } catch {
    /* no Intl data */
  }
  if (offMin === 0 && (name === '' || name === 'GMT' || name === 'UTC')) return 'UTC';
  // Go prints the zone's abbreviation; where none is known, the numeric offset ("+02").
  if (name === '' || /^GMT[+-]/.test(name)) {
    const abs = Math.abs(offMin);
    const h = String(Math.trunc(abs / 60)).padStart(2, '0');
    const m = abs % 60 ? String(abs % 60).padStart(2, '0') : '';
    return `${offMin < 0 ? '-' : '+'}${h}${m}`;
  }
  return name;
}
