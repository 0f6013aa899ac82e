import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

/** Checks an `Authorization: Bearer <operator token>` header in constant time. */
export function createOperatorCheck(operatorToken: string) {
  const expected = createHash('sha256').update(operatorToken).digest();
  return (authorization: string | undefined): void => {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    if (!match) throw new AppError('UNAUTHORIZED', 'operator credential required (Bearer token)');
    const given = createHash('sha256')
      .update(match[1] as string)
      .digest();
    if (!timingSafeEqual(expected, given)) {
      throw new AppError('UNAUTHORIZED', 'operator credential is not valid');
    }
  };
}
