import { useLiveSession } from '@amphi/app-kit';
import type { BackstageMessage } from '@amphi/protocol';
import { useCallback, useEffect, useState } from 'react';

/** Lines kept on screen: a live session's worth, not an archive. */
const KEEP = 50;

/**
 * The backstage line of the open studio or console: the messages pushed since
 * it opened, newest first (the server keeps none: a reload starts empty), and
 * a way to write one.
 */
export function useBackstage(): {
  messages: BackstageMessage[];
  send: (text: string) => Promise<void>;
} {
  const { session } = useLiveSession();
  const [messages, setMessages] = useState<BackstageMessage[]>([]);
  useEffect(() => {
    if (!session) return;
    return session.signaling.on('event', (event, data) => {
      if (event !== 'backstage.message') return;
      const message = data as BackstageMessage;
      setMessages((prev) =>
        prev.some((m) => m.id === message.id) ? prev : [message, ...prev].slice(0, KEEP),
      );
    });
  }, [session]);
  const send = useCallback(
    async (text: string) => {
      if (!session) throw new Error('not connected');
      await session.request('backstage.send', { text });
    },
    [session],
  );
  return { messages, send };
}
