/** A video source the speaker can put on the program: a camera or a shared screen/document. */
export interface VideoSource {
  id: string;
  kind: 'camera' | 'screen';
  label: string;
}

/** The source a 1–9 key selects, in the order the previews are shown. */
export function sourceAt(sources: readonly VideoSource[], index: number): VideoSource | null {
  return sources[index] ?? null;
}

/**
 * Which source should be on the program after the sources changed: keep the
 * current one if it is still there and usable, otherwise fall back to the
 * first usable camera (a source that encodes nothing would freeze classrooms).
 */
export function keepProgram(
  sources: readonly VideoSource[],
  current: string | null,
  unusable: (id: string) => boolean = () => false,
): string | null {
  if (current && !unusable(current) && sources.some((s) => s.id === current)) return current;
  const usable = sources.filter((s) => !unusable(s.id));
  return (
    usable.find((s) => s.kind === 'camera')?.id ??
    usable[0]?.id ??
    (current && sources.some((s) => s.id === current) ? current : null)
  );
}

/** How long the program may send nothing, after a switch, before the studio acts. */
export const STALL_MS = 2000;

export type ProgramVerdict =
  | { kind: 'sending' }
  | { kind: 'wait' }
  /** The source sends nothing: put back the last one that did. */
  | { kind: 'revert'; to: string }
  /** Nothing to go back to: tell the speaker. */
  | { kind: 'stalled' };

/**
 * What the studio does with the program, from the sender's stats on the air:
 * frames going out; or nothing for `STALL_MS` since the last frame and since
 * the last switch, and then back to the last source that sent (if it is still
 * there), else a warning.
 */
export function judgeProgram(p: {
  framesLastSecond: number;
  stalledMs: number;
  sinceSwitchMs: number;
  programId: string;
  lastGood: string | null;
  sources: readonly VideoSource[];
}): ProgramVerdict {
  if (p.framesLastSecond > 0) return { kind: 'sending' };
  if (p.stalledMs < STALL_MS || p.sinceSwitchMs < STALL_MS) return { kind: 'wait' };
  const back = p.lastGood;
  if (back && back !== p.programId && p.sources.some((s) => s.id === back)) {
    return { kind: 'revert', to: back };
  }
  return { kind: 'stalled' };
}
