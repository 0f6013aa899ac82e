import { ErrorCode } from '@amphi/protocol';
import { SignalingError } from '@amphi/sdk';
import { describe, expect, it } from 'vitest';
import {
  ERROR_MESSAGES,
  errorMessage,
  SERVER_UNAVAILABLE,
  UNKNOWN_ERROR,
} from './errorMessages.ts';
import { frenchTypographyProblems } from './typography.ts';

describe('error messages', () => {
  it('has a French and an English sentence for every code the server may send', () => {
    const missing = ErrorCode.options.filter((code) => {
      const m = (ERROR_MESSAGES as Partial<Record<string, { fr?: string; en?: string }>>)[code];
      return !m?.fr || !m.en || m.fr === m.en;
    });
    expect(missing, 'codes without a translation').toEqual([]);
  });

  it('has both languages for the codes the sdk and the apps raise themselves too', () => {
    const untranslated = Object.entries(ERROR_MESSAGES)
      .filter(([, m]) => !m.fr.trim() || !m.en.trim() || m.fr === m.en)
      .map(([code]) => code);
    expect(untranslated).toEqual([]);
    for (const code of ['DISCONNECTED', 'TIMEOUT', 'CLOSED', 'NETWORK', 'INVALID_RESPONSE']) {
      expect(errorMessage({ code }, 'fr'), code).not.toBe(UNKNOWN_ERROR.fr);
    }
  });

  it('tells a teacher whose line is down, or whose server is behind a failing proxy, what it is', () => {
    // The portal's and the console's REST calls: no answer at all.
    expect(errorMessage({ code: 'NETWORK' }, 'fr')).toBe(
      'le serveur ne répond pas\u00a0; vérifiez la connexion à Internet, puis réessayez',
    );
    // A proxy's page instead of Amphi's error body: 502/503/504 say the server is away for now.
    for (const code of ['HTTP_502', 'HTTP_503', 'HTTP_504']) {
      expect(errorMessage({ code }, 'fr')).toBe(SERVER_UNAVAILABLE.fr);
      expect(errorMessage({ code }, 'en')).toBe(SERVER_UNAVAILABLE.en);
    }
    expect(errorMessage({ code: 'HTTP_404' }, 'fr')).toBe(UNKNOWN_ERROR.fr);
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
    french.SERVER_UNAVAILABLE = SERVER_UNAVAILABLE.fr;
    french.UNKNOWN_ERROR = UNKNOWN_ERROR.fr;
    expect(frenchTypographyProblems(french)).toEqual([]);
  });
});
