import { ErrorCode } from '@amphi/protocol';
import { SignalingError } from '@amphi/sdk';
import { describe, expect, it } from 'vitest';
import { ERROR_MESSAGES, errorMessage, UNKNOWN_ERROR } from './errorMessages.ts';
import { frenchTypographyProblems } from './typography.ts';

describe('error messages', () => {
  it('has a French and an English sentence for every code the server may send', () => {
    const missing = ErrorCode.options.filter((code) => {
      const m = (ERROR_MESSAGES as Partial<Record<string, { fr?: string; en?: string }>>)[code];
      return !m?.fr || !m.en || m.fr === m.en;
    });
    expect(missing, 'codes without a translation').toEqual([]);
  });

  it('shows the sentence of the code, never the server’s English message', () => {
    const refused = new SignalingError('INVALID_STATE', 'cannot pin a question that is pending');
    expect(errorMessage(refused, 'fr')).toBe(ERROR_MESSAGES.INVALID_STATE.fr);
    expect(errorMessage(refused, 'fr')).not.toMatch(/cannot|pending/);
    expect(errorMessage(refused, 'en')).toBe(ERROR_MESSAGES.INVALID_STATE.en);
    // The sdk's own « not connected: try again in a moment ».
    const offline = new SignalingError('DISCONNECTED', 'not connected: try again in a moment');
    expect(errorMessage(offline, 'fr')).toMatch(/^pas de connexion au serveur/);
  });

  it('says that what was typed was refused when the socket names the field', () => {
    const refused = new SignalingError('INVALID_MESSAGE', 'data.text: control characters…', [
      { path: 'data.text', message: 'control characters are not allowed' },
    ]);
    expect(errorMessage(refused, 'fr')).toBe(ERROR_MESSAGES.VALIDATION_FAILED.fr);
    const envelope = new SignalingError('INVALID_MESSAGE', 'id: expected number', [
      { path: 'id', message: 'expected number' },
    ]);
    expect(errorMessage(envelope, 'fr')).toBe(ERROR_MESSAGES.INVALID_MESSAGE.fr);
  });

  it('names a camera refusal in French, and anything unknown with a generic sentence', () => {
    const denied = new DOMException('Permission denied', 'NotAllowedError');
    expect(errorMessage(denied, 'fr')).toMatch(/refuse l’accès à la caméra/);
    expect(errorMessage(new Error('boom'), 'fr')).toBe(UNKNOWN_ERROR.fr);
    expect(errorMessage('boom', 'en')).toBe(UNKNOWN_ERROR.en);
    expect(errorMessage({ code: 'toString' }, 'fr')).toBe(UNKNOWN_ERROR.fr);
  });

  it('writes French with no-break spaces', () => {
    const french = Object.fromEntries(Object.entries(ERROR_MESSAGES).map(([k, m]) => [k, m.fr]));
    expect(frenchTypographyProblems(french)).toEqual([]);
  });
});
