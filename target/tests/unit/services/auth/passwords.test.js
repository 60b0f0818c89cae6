'use strict';

const { hashPassword, verifyPassword } = require('../../../../services/auth/src/passwords');

describe('password hashing', () => {
  test('a hash verifies its password and no other', async () => {
    const hash = await hashPassword('correct horse battery', { N: 1024 });
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', hash)).resolves.toBe(false);
  });

  test('the hash carries its parameters and a per-password salt', async () => {
    const a = await hashPassword('same password', { N: 1024 });
    const b = await hashPassword('same password', { N: 1024 });
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(a).not.toBe(b);
  });

  test('malformed stored hashes and short passwords are handled', async () => {
    await expect(verifyPassword('whatever1', 'plaintext')).resolves.toBe(false);
    await expect(verifyPassword('whatever1', 'scrypt$0$0$0$$')).resolves.toBe(false);
    await expect(verifyPassword(undefined, 'x')).resolves.toBe(false);
    await expect(hashPassword('short')).rejects.toThrow(/8 to 256/);
  });
});
