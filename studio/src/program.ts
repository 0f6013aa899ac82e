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
