'use strict';

// The one table of DataNexus services. The gateway's default routes, the launcher (`npm start`)
// and the tests' `bootService` all read it, so a port or a route prefix is stated once.
//
//   name       registry name, folder under services/, and the route name at the gateway
//   port       default PORT (every service also accepts PORT=0 for an ephemeral port)
//   route      how the gateway forwards /api/v1/<name>/<rest>: to <prefix>/<rest>; `anonymous`
//              lists 'METHOD /path' calls that need no API key, `blocked` lists internal paths
//              the gateway never exposes. The gateway itself has no route.
//   databases  PostgreSQL databases the service uses (each from <NAME>_DATABASE_URL)
//   queues     RabbitMQ work queues the service consumes (declared in shared/events/topology.js)

const SERVICES = Object.freeze([
  { name: 'gateway', port: 3000, route: null, databases: [], queues: [] },
  {
    name: 'auth',
    port: 3001,
    route: { prefix: '/v1', anonymous: ['POST /sessions'], blocked: ['/keys/verify'] },
    databases: ['users'],
    queues: ['auth.tenants'],
  },
  { name: 'ingestion', port: 3002, route: { prefix: '/v1' }, databases: ['pipeline'], queues: [] },
  { name: 'transform', port: 3003, route: { prefix: '/v1' }, databases: ['pipeline'], queues: ['transform.ingestion'] },
  { name: 'router', port: 3004, route: { prefix: '/v1' }, databases: ['pipeline'], queues: ['router.transform'] },
  { name: 'aggregate', port: 3005, route: { prefix: '/v1' }, databases: ['metrics'], queues: ['aggregate.routed'] },
  { name: 'store', port: 3006, route: { prefix: '/v1' }, databases: ['metrics'], queues: ['store.rollups'] },
  { name: 'query', port: 3007, route: { prefix: '/v1' }, databases: [], queues: [] },
  { name: 'alerts', port: 3008, route: { prefix: '/v1' }, databases: [], queues: ['alerts.metrics'] },
  { name: 'dashboards', port: 3009, route: { prefix: '/v1' }, databases: [], queues: [] },
  { name: 'connectors', port: 3010, route: { prefix: '/v1' }, databases: [], queues: ['connectors.sinks'] },
  { name: 'scheduler', port: 3011, route: { prefix: '/v1' }, databases: [], queues: ['scheduler.results'] },
  { name: 'workers', port: 3012, route: { prefix: '/v1' }, databases: [], queues: ['workers.tasks'] },
  { name: 'admin', port: 3013, route: { prefix: '/admin' }, databases: ['users'], queues: [] },
  { name: 'billing', port: 3014, route: { prefix: '/v1' }, databases: [], queues: ['billing.usage'] },
].map((entry) => deepFreeze(entry)));

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const BY_NAME = new Map(SERVICES.map((entry) => [entry.name, entry]));

/** The table entry of `name`; an unknown name is a TypeError naming the known ones. */
function serviceEntry(name) {
  const entry = BY_NAME.get(name);
  if (!entry) throw new TypeError(`unknown service ${JSON.stringify(name)}; known: ${[...BY_NAME.keys()].join(', ')}`);
  return entry;
}

/** The gateway's route table when the registry KV holds none: every routed service under its own name. */
function defaultRoutes() {
  const routes = {};
  for (const { name, route } of SERVICES) {
    if (route) routes[name] = { service: name, ...route };
  }
  return deepFreeze(routes);
}

module.exports = { SERVICES, serviceEntry, defaultRoutes };
