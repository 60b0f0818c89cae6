'use strict';

const S = require('./schemas');
const { requireWriter } = require('../identity');

async function topicRoutes(app, { topics }) {
  app.post('/topics', { schema: S.createTopic, preHandler: requireWriter }, async (req, reply) => {
    reply.code(201);
    return topics.createTopic(req.caller.tenantId, req.body);
  });
  app.get('/topics', { schema: S.listTopics }, async (req) => ({ items: await topics.listTopics(req.caller.tenantId) }));
  app.get('/topics/:name', { schema: S.getTopic }, async (req) => topics.getTopic(req.caller.tenantId, req.params.name));
  app.delete('/topics/:name', { schema: S.deleteTopic, preHandler: requireWriter }, async (req, reply) => {
    await topics.deleteTopic(req.caller.tenantId, req.params.name);
    return reply.code(204).send();
  });
  app.post('/topics/:name/subscriptions', { schema: S.subscribe, preHandler: requireWriter }, async (req, reply) => {
    reply.code(201);
    return topics.subscribe(req.caller.tenantId, req.params.name, req.body);
  });
  app.delete('/topics/:name/subscriptions/:id', { schema: S.unsubscribe, preHandler: requireWriter }, async (req, reply) => {
    await topics.unsubscribe(req.caller.tenantId, req.params.name, req.params.id);
    return reply.code(204).send();
  });
}

module.exports = { topicRoutes };
