import type { EventBoard } from '@amphi/protocol';
import { useEffect, useState } from 'react';
import { fetchBoard } from '../api.ts';
import { number, percent, time } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { ColumnHeads } from './ColumnHeads.tsx';
import { Counts } from './Counts.tsx';
import { Tile } from './Tile.tsx';

/** An object's own keys, typed as its keys. */
const keysOf = <T extends object>(o: T) => Object.keys(o) as (keyof T & string)[];

/** How often the board is read again. */
export const BOARD_POLL_MS = 2000;

/**
 * The live board during an event, read every two seconds: classrooms
 * connected by region, media path and connection quality, the question
 * queue and its pace, who is on stage, the speakers, and the media workers' load.
 */
export function LiveBoard({ eventId }: { eventId: string }) {
  const { t, lang, errorText } = useI18n();
  const [board, setBoard] = useState<EventBoard | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        setBoard(await fetchBoard(eventId, abort.signal));
        setError(null);
      } catch (err) {
        if (abort.signal.aborted) return;
        setError(errorText(err));
      }
      if (!abort.signal.aborted) timer = setTimeout(read, BOARD_POLL_MS);
    };
    void read();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [eventId, errorText]);

  if (!board) {
    return error ? (
      <p role="alert" className="error">
        {t('board.failed', { reason: error })}
      </p>
    ) : (
      <p role="status">{t('app.loading')}</p>
    );
  }
  const c = board.classrooms;
  const q = board.questions;
  const maxPerMinute = Math.max(1, ...q.perMinute.map((m) => m.count));
  return (
    <div className="board">
      <p className="board-head">
        <span className={`badge status-${board.status}`}>{t(`status.${board.status}`)}</span>{' '}
        {t('board.updated', { time: time(board.at, lang) })}
        {error && <span className="error"> {t('board.stale', { reason: error })}</span>}
      </p>
      <div className="tiles">
        <Tile big testId="board-connected" count={c.connected} label="board.connected" />
        <Tile count={q.lastMinute} label="board.lastMinute" />
        <Tile count={q.byStatus.pending} label="board.pending" />
        <Tile count={board.hands} label="board.hands" />
      </div>
      <section aria-labelledby="board-stage">
        <h2 id="board-stage">{t('board.stage')}</h2>
        <p>
          {board.stage
            ? t(board.stage.status === 'live' ? 'board.onStage' : 'board.invited', {
                name: board.stage.classroomName,
              })
            : t('board.nobodyOnStage')}
        </p>
        <ul>
          {board.speakers.map((s) => (
            <li key={s.name}>
              {t(s.connected ? 'board.speakerIn' : 'board.speakerOut', { name: s.name })}
            </li>
          ))}
        </ul>
      </section>
      <div className="columns">
        <Counts
          id="board-region"
          title={t('board.byRegion')}
          rows={Object.entries(c.byRegion)
            .sort((a, b) => b[1] - a[1])
            .map(([region, n]) => [region === 'inconnue' ? t('board.unknownRegion') : region, n])}
          empty={t('board.noClass')}
        />
        <Counts
          id="board-path"
          title={t('board.byPath')}
          rows={keysOf(c.byPath).map((p) => [t(`path.${p}`), c.byPath[p]])}
        />
        <Counts
          id="board-quality"
          title={t('board.byQuality')}
          rows={keysOf(c.byQuality).map((k) => [t(`quality.${k}`), c.byQuality[k]])}
        />
        <Counts
          id="board-queue"
          title={t('board.queue')}
          rows={keysOf(q.byStatus).map((s) => [t(`question.${s}`), q.byStatus[s]])}
        />
      </div>
      <section aria-labelledby="board-pace">
        <h2 id="board-pace">{t('board.pace')}</h2>
        <ol className="bars">
          {q.perMinute.map((m) => (
            <li key={m.minute}>
              <span className="bar" style={{ height: `${(m.count / maxPerMinute) * 100}%` }} />
              <span className="visually-hidden">
                {t('board.minute', { time: time(m.minute, lang), count: m.count })}
              </span>
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="board-media">
        <h2 id="board-media">{t('board.media')}</h2>
        {board.media.length === 0 && <p>{t('board.noMedia')}</p>}
        {board.media.map((node) => (
          <div key={node.nodeId} className="scroll">
            <table>
              <caption>
                {t('board.node', { id: node.nodeId, kind: t(`node.${node.kind}`) })}
              </caption>
              <ColumnHeads
                keys={[
                  'worker.index',
                  'worker.classrooms',
                  'worker.consumers',
                  'worker.cpu',
                  'worker.in',
                  'worker.out',
                  'worker.loss',
                  'worker.restarts',
                ]}
              />
              <tbody>
                {node.workers.map((w) => (
                  <tr key={w.index}>
                    <th scope="row">{w.index}</th>
                    <td>{number(w.classrooms, lang)}</td>
                    <td>{number(w.consumers, lang)}</td>
                    <td>{percent(w.cpuPercent / 100, lang)}</td>
                    <td>
                      {t('worker.mbps', { n: number(Math.round(w.bitrateInBps / 1e5) / 10, lang) })}
                    </td>
                    <td>
                      {t('worker.mbps', {
                        n: number(Math.round(w.bitrateOutBps / 1e5) / 10, lang),
                      })}
                    </td>
                    <td>{w.lossOut === null ? t('worker.noMedia') : percent(w.lossOut, lang)}</td>
                    <td>{number(w.restarts, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </section>
    </div>
  );
}
