import { describe, expect, it } from 'vitest';
import { browserOf, relayServersFor } from '../src/networkCheck.ts';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IE11 = 'Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko';

describe('the browser a network check names', () => {
  it('names it and says whether it can receive the talk over WebRTC', () => {
    expect(browserOf(CHROME, true)).toEqual({
      name: 'Chrome',
      version: '131.0.0.0',
      os: 'Linux',
      supported: true,
    });
    expect(browserOf(FIREFOX, true)).toMatchObject({ name: 'Firefox', supported: true });
    expect(browserOf(FIREFOX, true).os).toMatch(/^Windows/);
    // A school's old machine: no WebRTC, and mediasoup-client does not know it.
    expect(browserOf(IE11, false)).toMatchObject({ name: 'Internet Explorer', supported: false });
    // WebRTC switched off (a policy) in a browser that would otherwise do.
    expect(browserOf(CHROME, false).supported).toBe(false);
    expect(browserOf('', false).name).toBe('unknown');
  });
});

describe('the relay a way in may use', () => {
  const servers = [
    {
      urls: ['turn:turn.example:3478?transport=udp', 'turns:turn.example:443?transport=tcp'],
      username: 'u',
      credential: 'c',
    },
  ];
  it('TURN over UDP alone, or TLS alone; nothing when not offered', () => {
    expect(relayServersFor('turn-udp', servers)[0]?.urls).toEqual([
      'turn:turn.example:3478?transport=udp',
    ]);
    expect(relayServersFor('turn-tls', servers)[0]?.urls).toEqual([
      'turns:turn.example:443?transport=tcp',
    ]);
    expect(
      relayServersFor('turn-tls', [{ ...servers[0], urls: ['turn:t:3478'] }] as never),
    ).toEqual([]);
  });
});
