import http from 'node:http';

export interface ManagementAccess {
  /** The real management API, and its administrator's credentials. */
  url: string;
  admin: { user: string; password: string };
  /** The principal's broker user; reads are made as it, so the broker shows only its vhosts. */
  principal: { user: string; password: string };
  /** Whether a vhost is the principal's to create and delete. */
  ownsVhost(name: string): boolean;
}

type Decision = { as: 'admin' | 'principal'; then?: 'grant' } | { refuse: string };

/**
 * What a request may do. Creating and deleting the principal's own vhosts needs the administrator
 * (the broker has no narrower right for it), so the gate performs exactly those, and grants the
 * principal on a vhost it creates. Reads go through as the principal. Everything else is refused.
 */
export function decide(method: string, pathname: string, access: ManagementAccess): Decision {
  const parts = pathname.split('/').slice(1).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '\0';
    }
  });
  if (parts[0] !== 'api') return { refuse: 'only /api is available' };
  if (method === 'GET' || method === 'HEAD') return { as: 'principal' };
  if (parts[1] === 'vhosts' && parts.length === 3 && access.ownsVhost(parts[2]!)) {
    if (method === 'PUT') return { as: 'admin', then: 'grant' };
    if (method === 'DELETE') return { as: 'admin' };
  }
  if (method === 'PUT' && parts[1] === 'permissions' && parts.length === 4 && access.ownsVhost(parts[2]!) && parts[3] === access.principal.user) {
    return { as: 'admin' };
  }
  return { refuse: `${method} ${pathname} is not available in this sandbox` };
}

function basic(c: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
}

async function grant(access: ManagementAccess, vhost: string): Promise<void> {
  const url = new URL(`/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(access.principal.user)}`, access.url);
  url.username = '';
  url.password = '';
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: basic(access.admin), 'content-type': 'application/json' },
    body: JSON.stringify({ configure: '.*', write: '.*', read: '.*' }),
  });
  if (!res.ok) throw new Error(`granting ${vhost} answered ${res.status}`);
}

function refuse(res: http.ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: status === 403 ? 'not_authorised' : 'bad_gateway', reason }));
}

/** The host side of the sandbox's management port: an HTTP server for one principal. */
export function managementGate(access: ManagementAccess): http.Server {
  const target = new URL(access.url);
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const d = decide(req.method ?? 'GET', url.pathname, access);
    if ('refuse' in d) {
      req.resume();
      return refuse(res, 403, d.refuse);
    }
    const headers = { ...req.headers, host: target.host, authorization: basic(d.as === 'admin' ? access.admin : access.principal) };
    const upstream = http.request({ host: target.hostname, port: target.port || 15672, method: req.method, path: url.pathname + url.search, headers }, (up) => {
      const ok = (up.statusCode ?? 500) < 300;
      if (d.then === 'grant' && ok) {
        up.resume();
        const vhost = decodeURIComponent(url.pathname.split('/')[3]!);
        grant(access, vhost).then(
          () => {
            res.writeHead(up.statusCode ?? 201, { 'content-length': '0' });
            res.end();
          },
          (err: unknown) => refuse(res, 502, err instanceof Error ? err.message : String(err)),
        );
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => refuse(res, 502, err.message));
    req.pipe(upstream);
  });
}
