'use strict';

// The route table maps the first path segment after /api/v1 to a registered service:
//   /api/v1/<name>/<rest>  ->  <service> instance, path <prefix>/<rest>
// Entries: { service, prefix, anonymous?: ['METHOD /path', ...], blocked?: ['/path', ...] }.
// `anonymous` paths are forwarded without an API key (login); `blocked` paths are internal
// endpoints of the upstream that the gateway never exposes.

const API_PREFIX = '/api/v1/';
const NAME = /^[a-z][a-z0-9-]{0,31}$/;

function validateEntry(name, entry) {
  if (!NAME.test(name)) throw new TypeError(`route name ${JSON.stringify(name)} is not a lowercase identifier`);
  if (!entry || typeof entry !== 'object') throw new TypeError(`route ${name}: expected an object, got ${typeof entry}`);
  if (!NAME.test(String(entry.service))) throw new TypeError(`route ${name}: service ${JSON.stringify(entry.service)} is not a service name`);
  const prefix = entry.prefix === undefined ? '' : String(entry.prefix);
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/'))) {
    throw new TypeError(`route ${name}: prefix must start with / and not end with /, got ${JSON.stringify(prefix)}`);
  }
  return Object.freeze({
    name,
    service: entry.service,
    prefix,
    anonymous: new Set((entry.anonymous || []).map(String)),
    blocked: (entry.blocked || []).map(String),
  });
}

// A dot segment or an encoded slash could make the upstream resolve a path outside the prefix.
function isUnsafePath(rest) {
  if (/%2f|%5c|\\/i.test(rest)) return true;
  return rest.split('/').some((segment) => {
    let decoded;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return true;
    }
    return decoded === '.' || decoded === '..';
  });
}

function buildRouter(routes) {
  const table = new Map();
  for (const [name, entry] of Object.entries(routes || {})) table.set(name, validateEntry(name, entry));

  return {
    size: table.size,
    names: () => [...table.keys()],
    /**
     * @returns {{ kind: 'route', route, path, anonymous } | { kind: 'not-found' } | { kind: 'bad-path' }}
     */
    match(method, url) {
      const [pathname, search = ''] = splitUrl(url);
      if (!pathname.startsWith(API_PREFIX)) return { kind: 'not-found' };
      const tail = pathname.slice(API_PREFIX.length);
      const slash = tail.indexOf('/');
      const name = slash === -1 ? tail : tail.slice(0, slash);
      const rest = slash === -1 ? '/' : tail.slice(slash);
      const route = table.get(name);
      if (!route) return { kind: 'not-found' };
      if (isUnsafePath(rest)) return { kind: 'bad-path' };
      if (route.blocked.some((p) => rest === p || rest.startsWith(`${p}/`))) return { kind: 'not-found' };
      const path = `${route.prefix}${rest === '/' && route.prefix ? '' : rest}${search ? `?${search}` : ''}`;
      return { kind: 'route', route, path, anonymous: route.anonymous.has(`${method.toUpperCase()} ${rest}`) };
    },
  };
}

function splitUrl(url) {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

module.exports = { buildRouter, API_PREFIX };
