/** Pure: the /etc/hosts and /etc/resolv.conf a container gets, as Docker writes them. */

export function etcHosts(ip: string | null, hostname: string, extra: Array<[string, string]> = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const [h, a] of extra) lines.push(`${a}\t${h}`);
  if (ip) lines.push(`${ip}\t${hostname}`);
  return lines.join('\n') + '\n';
}

const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

/**
 * The host's resolv.conf without loopback name servers (they cannot be reached from
 * the container's network namespace); Google's public servers if none remain, as Docker.
 */
export function resolvConf(host: string): string {
  const lines = host.split('\n');
  const kept = lines.filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    if (!m) return true;
    return !(m[1].startsWith('127.') || m[1] === '::1');
  });
  const hasNs = kept.some((l) => /^\s*nameserver\s/.test(l));
  let out = kept.join('\n').replace(/\n+$/, '');
  if (!hasNs) out += (out ? '\n' : '') + DEFAULT_DNS.map((d) => `nameserver ${d}`).join('\n');
  return out + '\n';
}
