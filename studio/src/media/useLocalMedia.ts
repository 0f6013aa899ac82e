import { useCallback, useEffect, useRef, useState } from 'react';
import type { VideoSource } from '../program.ts';

export type Permission = 'unknown' | 'granted' | 'denied';

export interface LocalMedia {
  permission: Permission;
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  /** Cameras the speaker turned on: each keeps a live stream (hot standby). */
  enabledCameras: ReadonlySet<string>;
  /** Live stream per source id (`cam:<deviceId>` or `screen`). */
  streams: ReadonlyMap<string, MediaStream>;
  sources: VideoSource[];
  micId: string | null;
  micTrack: MediaStreamTrack | null;
  requestAccess(): Promise<void>;
  refresh(): Promise<void>;
  toggleCamera(deviceId: string): void;
  chooseMic(deviceId: string): void;
  shareScreen(): Promise<void>;
  stopScreen(): void;
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };
export const cameraSourceId = (deviceId: string) => `cam:${deviceId}`;

function stopStream(stream: MediaStream | undefined | null) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/**
 * The speaker's devices: every enabled camera opened at once and kept running,
 * so that switching the program is instant; one microphone; an optional shared
 * screen or document.
 */
export function useLocalMedia(labels: {
  camera: (n: number) => string;
  screen: string;
}): LocalMedia {
  const [permission, setPermission] = useState<Permission>('unknown');
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [enabled, setEnabled] = useState<ReadonlySet<string>>(new Set());
  const [streams, setStreams] = useState<ReadonlyMap<string, MediaStream>>(new Map());
  const [micId, setMicId] = useState<string | null>(null);
  const [micTrack, setMicTrack] = useState<MediaStreamTrack | null>(null);
  const streamsRef = useRef(new Map<string, MediaStream>());
  const known = useRef(new Set<string>());

  const cameras = devices.filter((d) => d.kind === 'videoinput' && d.deviceId);
  const microphones = devices.filter((d) => d.kind === 'audioinput' && d.deviceId);

  const refresh = useCallback(async () => {
    const list = await navigator.mediaDevices.enumerateDevices();
    setDevices(list);
    // New cameras are turned on by default: every connected camera is a preview.
    const fresh = list.filter(
      (d) => d.kind === 'videoinput' && d.deviceId && !known.current.has(d.deviceId),
    );
    for (const d of fresh) known.current.add(d.deviceId);
    if (fresh.length > 0) {
      setEnabled((prev) => new Set([...prev, ...fresh.map((d) => d.deviceId)]));
    }
    setMicId(
      (prev) => prev ?? list.find((d) => d.kind === 'audioinput' && d.deviceId)?.deviceId ?? null,
    );
  }, []);

  const requestAccess = useCallback(async () => {
    try {
      // Same constraints as the previews: Chromium may hand the probe's capture,
      // still closing, to the first preview, and a 640×480 capture there would
      // cost the classrooms the top simulcast layer.
      const probe = await navigator.mediaDevices.getUserMedia({ audio: true, video: VIDEO });
      stopStream(probe);
      setPermission('granted');
    } catch {
      setPermission('denied');
    }
    await refresh();
  }, [refresh]);

  useEffect(() => {
    void requestAccess();
    const onChange = () => void refresh();
    navigator.mediaDevices.addEventListener('devicechange', onChange);
    return () => navigator.mediaDevices.removeEventListener('devicechange', onChange);
  }, [requestAccess, refresh]);

  // Open enabled cameras, close the others.
  const enabledKey = [...enabled].sort().join('|');
  useEffect(() => {
    if (permission !== 'granted') return;
    let cancelled = false;
    const current = streamsRef.current;
    const ids = enabledKey ? enabledKey.split('|') : [];
    const wanted = new Set(ids.map(cameraSourceId));
    for (const [id, stream] of current) {
      if (id.startsWith('cam:') && !wanted.has(id)) {
        stopStream(stream);
        current.delete(id);
      }
    }
    const open = ids.filter((d) => !current.has(cameraSourceId(d)));
    void (async () => {
      for (const deviceId of open) {
        try {
          const stream = await navigator.mediaDevices.getUserMedia({
            video: { ...VIDEO, deviceId: { exact: deviceId } },
          });
          if (cancelled) {
            stopStream(stream);
            return;
          }
          current.set(cameraSourceId(deviceId), stream);
          // A camera unplugged mid-session ends its track: drop its preview.
          stream.getVideoTracks()[0]?.addEventListener('ended', () => {
            current.delete(cameraSourceId(deviceId));
            setStreams(new Map(current));
          });
        } catch {
          // Busy or gone: the device list shows it without a preview.
        }
      }
      if (!cancelled) setStreams(new Map(current));
    })();
    setStreams(new Map(current));
    return () => {
      cancelled = true;
    };
  }, [enabledKey, permission]);

  // The microphone (echo cancellation on: the speaker hears the classroom on stage).
  useEffect(() => {
    if (permission !== 'granted' || !micId) return;
    let track: MediaStreamTrack | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({
        audio: {
          deviceId: { exact: micId },
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
        },
      })
      .then((stream) => {
        track = stream.getAudioTracks()[0] ?? null;
        if (cancelled) track?.stop();
        else setMicTrack(track);
      })
      .catch(() => setMicTrack(null));
    return () => {
      cancelled = true;
      track?.stop();
    };
  }, [micId, permission]);

  // Stop everything when the studio closes.
  useEffect(() => {
    const current = streamsRef.current;
    return () => {
      for (const stream of current.values()) stopStream(stream);
      current.clear();
    };
  }, []);

  const toggleCamera = useCallback((deviceId: string) => {
    setEnabled((prev) => {
      const next = new Set(prev);
      if (next.has(deviceId)) next.delete(deviceId);
      else next.add(deviceId);
      return next;
    });
  }, []);

  const shareScreen = useCallback(async () => {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const current = streamsRef.current;
      stopStream(current.get('screen'));
      current.set('screen', stream);
      stream.getVideoTracks()[0]?.addEventListener('ended', () => {
        if (current.get('screen') === stream) current.delete('screen');
        setStreams(new Map(current));
      });
      setStreams(new Map(current));
    } catch {
      // The speaker cancelled the picker.
    }
  }, []);

  const stopScreen = useCallback(() => {
    const current = streamsRef.current;
    stopStream(current.get('screen'));
    current.delete('screen');
    setStreams(new Map(current));
  }, []);

  const sources: VideoSource[] = [];
  cameras.forEach((d, i) => {
    const id = cameraSourceId(d.deviceId);
    if (streams.has(id))
      sources.push({ id, kind: 'camera', label: d.label || labels.camera(i + 1) });
  });
  if (streams.has('screen')) sources.push({ id: 'screen', kind: 'screen', label: labels.screen });

  return {
    permission,
    cameras,
    microphones,
    enabledCameras: enabled,
    streams,
    sources,
    micId,
    micTrack,
    requestAccess,
    refresh,
    toggleCamera,
    chooseMic: setMicId,
    shareScreen,
    stopScreen,
  };
}
