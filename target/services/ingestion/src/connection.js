'use strict';

// A pg client that loses its connection while it is checked out (a database restart, a network
// cut in the middle of a write) fails its query and also emits 'error' on itself. The pool
// listens only on idle clients, and an 'error' nobody listens to would crash the process. Every
// client of the pool gets one listener when it is created: the failed query reports the loss.

function guardConnections(postgres, db, logger) {
  postgres.pool(db).on('connect', (client) => {
    client.on('error', (err) => logger.warn({ event: 'ingestion.connection_lost', db, err: err.message }, 'postgres connection lost while in use'));
  });
}

module.exports = { guardConnections };
