import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's minimum for it (19 MiB, 2 passes, 1 lane): memory-hard,
 * so a stolen table is slow to guess on GPUs. The PHC string carries the salt
 * and the parameters: raising them later still verifies older hashes.
 */
const OPTIONS = {
  // Algorithm.Argon2id (a const enum, which this build cannot import).
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** Never throws on a malformed stored hash: it just does not match. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A hash of nothing anyone knows, verified when the address is unknown, so that
 * a refused sign-in takes as long whether or not the account exists.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoy;
}
