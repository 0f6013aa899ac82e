import type { OperatorRole } from '@amphi/protocol';

/**
 * Who an operator request speaks for: a person's account (signed in with the
 * console's session cookie), or the shared automation credential (Bearer).
 */
export type OperatorPrincipal =
  | {
      kind: 'account';
      accountId: string;
      email: string;
      displayName: string;
      role: OperatorRole;
      /** The session's own token (to sign out), never logged. */
      sessionId: string;
    }
  | { kind: 'automation' };

/** How the audit log names the principal. */
export function actorLabel(p: OperatorPrincipal): string {
  return p.kind === 'account' ? p.email : 'automation';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireOperator`: who is calling. */
    operator: OperatorPrincipal | null;
    /** What a route adds to its audit row (counts, the new status…), never secrets or personal data. */
    auditDetails: Record<string, unknown> | null;
  }
}
