'use strict';

const { service: { errorResponses: errs } } = require('../../../../shared');

// Operational state of the instance: the combined watermark, each partition's watermark and
// idleness, and what this instance has done. The same for every tenant: it names no tenant data.

const partition = {
  type: 'object',
  properties: { partition: { type: 'integer' }, watermark: { type: ['number', 'null'] }, activeAt: { type: ['number', 'null'] }, idle: { type: 'boolean' } },
};
const statusSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        watermark: { type: ['number', 'null'] },
        partitions: { type: 'array', items: partition },
        liveWindows: { type: 'integer' },
        stats: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    ...errs(401),
  },
};

async function statusRoutes(app, { parts }) {
  app.get('/status', { schema: statusSchema }, async () => {
    const { combined, partitions } = await parts.watermarks.describe();
    return { watermark: combined, partitions, liveWindows: await parts.state.liveWindows(), stats: parts.engine.stats() };
  });
}

module.exports = { statusRoutes };
