import { describe, expect, it } from 'vitest';
import { mediaConfigFromEnv, pipeOptionsFromConfig } from '../src/config.ts';

// A media node's pipe settings come from its environment: the ports an
// operator opens between media hosts, the address the other hosts reach.

describe('pipe settings', () => {
  it('listen where the media does, on random ports, unless told', () => {
    expect(pipeOptionsFromConfig(mediaConfigFromEnv({ MEDIA_LISTEN_IP: '10.0.0.5' }))).toEqual({
      listenIp: '10.0.0.5',
      deadAfterMs: 3000,
    });
  });

  it('take their own address, announced address and port range', () => {
    const options = pipeOptionsFromConfig(
      mediaConfigFromEnv({
        MEDIA_LISTEN_IP: '0.0.0.0',
        MEDIA_ANNOUNCED_ADDRESS: '203.0.113.7',
        MEDIA_PIPE_LISTEN_IP: '10.1.0.2',
        MEDIA_PIPE_ANNOUNCED_ADDRESS: '10.1.0.2',
        MEDIA_PIPE_PORT_MIN: '42000',
        MEDIA_PIPE_PORT_MAX: '42099',
        MEDIA_PIPE_DEAD_AFTER_MS: '5000',
      }),
    );
    expect(options).toEqual({
      listenIp: '10.1.0.2',
      announcedAddress: '10.1.0.2',
      portRange: { min: 42000, max: 42099 },
      deadAfterMs: 5000,
    });
  });

  it('refuse half a port range or an inverted one', () => {
    expect(() => mediaConfigFromEnv({ MEDIA_PIPE_PORT_MIN: '42000' })).toThrow(/go together/);
    expect(() =>
      mediaConfigFromEnv({ MEDIA_PIPE_PORT_MIN: '42100', MEDIA_PIPE_PORT_MAX: '42000' }),
    ).toThrow(/go together/);
  });
});
