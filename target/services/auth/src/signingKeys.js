'use strict';

const crypto = require('node:crypto');
const { promisify } = require('node:util');

const generateKeyPair = promisify(crypto.generateKeyPair);

async function generateRsaKeyPair() {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKey, publicKey };
}

/**
 * The session-token keyring, kept in `signing_keys` so every auth instance signs with the same
 * key and verifies tokens signed by any of them. The first instance to boot on an empty table
 * creates the key; the others find it.
 * @returns {Promise<{ signer: { alg: 'RS256', kid: string, key: string }, keyFor(kid: string): string | undefined, publicKeys(): Array<{ kid: string, publicKey: string }> }>}
 */
async function loadKeyring({ postgres, clock, generate = generateRsaKeyPair, kidFactory = () => crypto.randomUUID() }) {
  const select = () =>
    postgres.query('users', 'SELECT kid, private_pem, public_pem, retired_at FROM signing_keys ORDER BY created_at DESC, kid');
  let { rows } = await select();
  if (!rows.some((r) => r.retired_at === null)) {
    const pair = await generate();
    await postgres.withTransaction('users', async (tx) => {
      // Serialises concurrent first boots: only one of them inserts.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('auth.signing_keys'))");
      const existing = await tx.query('SELECT 1 FROM signing_keys WHERE retired_at IS NULL LIMIT 1');
      if (existing.rowCount === 0) {
        await tx.query('INSERT INTO signing_keys (kid, algorithm, private_pem, public_pem, created_at) VALUES ($1, $2, $3, $4, $5)', [
          kidFactory(),
          'RS256',
          pair.privateKey,
          pair.publicKey,
          new Date(clock.now()),
        ]);
      }
    });
    ({ rows } = await select());
  }
  const current = rows.find((r) => r.retired_at === null);
  // Verification keys are kept as PEM text, the form they have in the table.
  const publicByKid = new Map(rows.map((r) => [r.kid, r.public_pem]));
  return {
    signer: { alg: 'RS256', kid: current.kid, key: current.private_pem },
    keyFor: (kid) => publicByKid.get(kid),
    publicKeys: () => [...publicByKid].map(([kid, publicKey]) => ({ kid, publicKey })),
  };
}

/** A keyring from given PEMs (tests and tools that do not need the table). */
function staticKeyring({ kid, privateKey, publicKey }) {
  return {
    signer: { alg: 'RS256', kid, key: privateKey },
    keyFor: (k) => (k === kid ? publicKey : undefined),
    publicKeys: () => [{ kid, publicKey }],
  };
}

module.exports = { loadKeyring, staticKeyring, generateRsaKeyPair };
