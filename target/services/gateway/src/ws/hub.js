'use strict';

// Live fan-out: which sockets listen to which topic of which tenant. Topics are always scoped by
// the tenant of the socket's API key, so a subscriber can never receive another tenant's events,
// whatever topic name it asks for.

const TOPIC = /^[a-z][a-z0-9._-]{0,63}$/;

function scopedTopic(tenantId, topic) {
  return `${tenantId}\u0000${topic}`;
}

function createHub({ maxTopicsPerSocket = 32 } = {}) {
  const connections = new Map(); // socket -> { tenantId, topics: Set<string> }
  const subscribers = new Map(); // scoped topic -> Set<socket>

  function unsubscribeAll(socket, info) {
    info.topics.clear();
    for (const key of info.topics) {
      const set = subscribers.get(key);
      if (!set) continue;
      set.delete(socket);
      if (set.size === 0) subscribers.delete(key);
    }
  }

  return {
    add(socket, principal) {
      connections.set(socket, { tenantId: principal.tenantId, topics: new Set() });
    },
    /** @returns {boolean} false when the topic name is invalid or the socket is at its limit */
    subscribe(socket, topic) {
      const info = connections.get(socket);
      if (!info || typeof topic !== 'string' || !TOPIC.test(topic)) return false;
      const key = scopedTopic(info.tenantId, topic);
      if (!info.topics.has(key) && info.topics.size >= maxTopicsPerSocket) return false;
      info.topics.add(key);
      let set = subscribers.get(key);
      if (!set) {
        set = new Set();
        subscribers.set(key, set);
      }
      set.add(socket);
      return true;
    },
    unsubscribe(socket, topic) {
      const info = connections.get(socket);
      if (!info) return;
      const key = scopedTopic(info.tenantId, topic);
      info.topics.delete(key);
      const set = subscribers.get(key);
      if (set) {
        set.delete(socket);
        if (set.size === 0) subscribers.delete(key);
      }
    },
    remove(socket) {
      const info = connections.get(socket);
      if (!info) return;
      connections.delete(socket);
      unsubscribeAll(socket, info);
    },
    /** Sends `message` to every open socket of `tenantId` subscribed to `topic`; returns how many. */
    publish(tenantId, topic, message) {
      const set = subscribers.get(scopedTopic(tenantId, topic));
      if (!set) return 0;
      const frame = JSON.stringify({ topic, data: message });
      let sent = 0;
      for (const socket of set) {
        if (socket.readyState !== 1) continue;
        socket.send(frame);
        sent += 1;
      }
      return sent;
    },
    stats() {
      let subscriptions = 0;
      for (const set of subscribers.values()) subscriptions += set.size;
      return { connections: connections.size, topics: subscribers.size, subscriptions };
    },
    topicSizes() {
      return [...subscribers.values()].map((s) => s.size);
    },
  };
}

module.exports = { createHub, TOPIC };
