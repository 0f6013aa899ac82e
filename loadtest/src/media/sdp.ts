import type { DtlsParameters, IceCandidate, IceParameters, RtpParameters } from '@amphi/protocol';

// The SDP a mediasoup-client handler would build from the server's transport
// and consumer parameters (mediasoup is ICE-lite and holds no SDP itself).

export interface TransportSdpParams {
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface MediaSection {
  mid: string;
  kind: 'audio' | 'video';
  rtpParameters: RtpParameters;
}

function sessionLines(t: TransportSdpParams, mids: string[]): string[] {
  const fp =
    t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    t.dtlsParameters.fingerprints[0];
  if (!fp) throw new Error('the transport has no DTLS fingerprint');
  return [
    'v=0',
    `o=- ${Date.now()} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    'a=msid-semantic: WMS *',
    `a=group:BUNDLE ${mids.join(' ')}`,
  ];
}

function mediaLines(
  t: TransportSdpParams,
  m: MediaSection,
  direction: 'sendonly' | 'recvonly',
  setup: 'actpass' | 'passive',
): string[] {
  const { rtpParameters: rtp } = m;
  const udp = t.iceCandidates.filter((c) => c.protocol === 'udp');
  const lines = [
    `m=${m.kind} 7 UDP/TLS/RTP/SAVPF ${rtp.codecs.map((c) => c.payloadType).join(' ')}`,
    'c=IN IP4 127.0.0.1',
    `a=mid:${m.mid}`,
    `a=${direction}`,
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    ...udp.map(
      (c) =>
        `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address ?? c.ip} ${c.port} typ ${c.type}`,
    ),
    'a=end-of-candidates',
    `a=setup:${setup}`,
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
  for (const c of rtp.codecs) {
    const [, name] = c.mimeType.split('/');
    lines.push(
      `a=rtpmap:${c.payloadType} ${name}/${c.clockRate}${c.channels ? `/${c.channels}` : ''}`,
    );
    const params = Object.entries(c.parameters ?? {});
    if (params.length)
      lines.push(`a=fmtp:${c.payloadType} ${params.map(([k, v]) => `${k}=${v}`).join(';')}`);
    for (const fb of c.rtcpFeedback ?? []) {
      lines.push(`a=rtcp-fb:${c.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    }
  }
  for (const e of rtp.headerExtensions ?? []) lines.push(`a=extmap:${e.id} ${e.uri}`);
  if (direction === 'sendonly') {
    const cname = rtp.rtcp?.cname ?? 'amphi';
    for (const enc of rtp.encodings ?? []) {
      if (enc.ssrc === undefined) continue;
      lines.push(`a=ssrc:${enc.ssrc} cname:${cname}`);
      if (enc.rtx) {
        lines.push(`a=ssrc:${enc.rtx.ssrc} cname:${cname}`);
        lines.push(`a=ssrc-group:FID ${enc.ssrc} ${enc.rtx.ssrc}`);
      }
    }
    lines.push(`a=msid:amphi ${m.kind}-${m.mid}`);
  }
  return lines;
}

/** The offer of a receive transport: the server sends each consumer's stream. */
export function recvOffer(t: TransportSdpParams, sections: MediaSection[]): string {
  const lines = sessionLines(
    t,
    sections.map((s) => s.mid),
  );
  for (const s of sections) lines.push(...mediaLines(t, s, 'sendonly', 'actpass'));
  return `${lines.join('\r\n')}\r\n`;
}

/** The answer to a send transport's offer: the server receives each producer's stream. */
export function sendAnswer(t: TransportSdpParams, sections: MediaSection[]): string {
  const lines = sessionLines(
    t,
    sections.map((s) => s.mid),
  );
  for (const s of sections) lines.push(...mediaLines(t, s, 'recvonly', 'passive'));
  return `${lines.join('\r\n')}\r\n`;
}

/** The DTLS parameters a local description gives the server (this side is the DTLS client). */
export function localDtls(sdp: string): DtlsParameters {
  const m = /a=fingerprint:(\S+) ([0-9A-Fa-f:]+)/.exec(sdp);
  if (!m) throw new Error('the local description has no fingerprint');
  return {
    role: 'client',
    fingerprints: [{ algorithm: m[1] as 'sha-256', value: m[2] as string }],
  };
}
