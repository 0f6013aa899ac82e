import { useEffect, useRef, useState } from 'react';
import type { VideoSource } from '../program.ts';
import {
  type OutboundVideo,
  probeEncodable,
  readOutboundVideo,
  type SourceCheck,
} from './frameProbe.ts';

/**
 * Each source tried once, as it appears (keyed by its track: a reopened camera
 * is tried again), all at once: a source goes on the air only once it encodes.
 */
export function useSourceChecks(
  sources: readonly VideoSource[],
  streams: ReadonlyMap<string, MediaStream>,
): ReadonlyMap<string, SourceCheck> {
  const [checks, setChecks] = useState<ReadonlyMap<string, SourceCheck>>(new Map());
  const tried = useRef(new Map<string, string>());
  const key = sources.map((s) => `${s.id}=${streams.get(s.id)?.getVideoTracks()[0]?.id}`).join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the sources' tracks
  useEffect(() => {
    const abort = new AbortController();
    const running = new Set<string>();
    for (const s of sources) {
      const track = streams.get(s.id)?.getVideoTracks()[0];
      if (!track || tried.current.get(s.id) === track.id) continue;
      tried.current.set(s.id, track.id);
      running.add(s.id);
      setChecks((prev) => new Map(prev).set(s.id, { state: 'testing' }));
      void probeEncodable(track, abort.signal).then((result) => {
        if (abort.signal.aborted) return;
        running.delete(s.id);
        setChecks((prev) => new Map(prev).set(s.id, result));
      });
    }
    return () => {
      abort.abort();
      // An interrupted test runs again with the next sources.
      for (const id of running) tried.current.delete(id);
    };
  }, [key]);
  return checks;
}

/** The microphone's level, 0–1 (RMS of the waveform), about ten times a second. */
export function useMicLevel(track: MediaStreamTrack | null): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!track) return;
    const context = new AudioContext();
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    // A page may start its audio only after a gesture: the first one wakes the meter.
    const wake = () => void context.resume().catch(() => {});
    void context.resume().catch(() => {});
    window.addEventListener('pointerdown', wake);
    window.addEventListener('keydown', wake);
    const id = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      setLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
    }, 100);
    return () => {
      window.clearInterval(id);
      window.removeEventListener('pointerdown', wake);
      window.removeEventListener('keydown', wake);
      source.disconnect();
      void context.close().catch(() => {});
    };
  }, [track]);
  return track ? level : 0;
}

/** What the sender has sent lately: `frames` encoded in the last second (0: classrooms get nothing). */
export interface Outbound extends OutboundVideo {
  frames: number;
  /** How long nothing has been encoded (ms), while on the air. */
  stalledMs: number;
}

/** Reads the program's sender once a second while `getStats` is given (on the air). */
export function useOutbound(
  getStats: (() => Promise<RTCStatsReport | null>) | null,
): Outbound | null {
  const [outbound, setOutbound] = useState<Outbound | null>(null);
  useEffect(() => {
    if (!getStats) {
      setOutbound(null);
      return;
    }
    let stopped = false;
    let last: { encoded: number; at: number; since: number } | null = null;
    const read = async () => {
      const report = await getStats().catch(() => null);
      if (stopped || !report) return;
      const now = Date.now();
      const video = readOutboundVideo(report.values() as Iterable<Record<string, unknown>>);
      // A new producer counts from zero again.
      const restarted = !last || video.framesEncoded < last.encoded;
      const frames = last && !restarted ? video.framesEncoded - last.encoded : 0;
      const since = restarted || frames > 0 || !last ? now : last.since;
      last = { encoded: video.framesEncoded, at: now, since };
      setOutbound({ ...video, frames, stalledMs: now - since });
    };
    const id = window.setInterval(() => void read(), 1000);
    void read();
    return () => {
      stopped = true;
      window.clearInterval(id);
    };
  }, [getStats]);
  return outbound;
}
