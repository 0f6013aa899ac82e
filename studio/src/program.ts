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
 * current one if it is still there, otherwise fall back to the first camera.
 */
export function keepProgram(
  sources: readonly VideoSource[],
  current: string | null,
): string | null {
  if (current && sources.some((s) => s.id === current)) return current;
  return sources.find((s) => s.kind === 'camera')?.id ?? sources[0]?.id ?? null;
}
