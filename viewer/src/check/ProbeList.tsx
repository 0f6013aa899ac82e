import { NetworkProbe, type ProbeResult } from '@amphi/protocol';
import { useCheckI18n } from './i18n.tsx';

/** Each way in and what became of it, as the check goes. */
export function ProbeList({
  probes,
  running,
}: {
  probes: Partial<Record<NetworkProbe, ProbeResult | null>>;
  running: boolean;
}) {
  const { t } = useCheckI18n();
  const said = (r: ProbeResult | null | undefined) => {
    if (!r) return running ? t('probe.trying') : t('probe.waiting');
    if (r.ok) return t('probe.ok', { ms: r.ms ?? 0 });
    return t(`probe.${r.failure ?? 'failed'}`);
  };
  return (
    <ul className="check-probes">
      {NetworkProbe.options.map((p) => {
        const r = probes[p];
        const state = !r ? 'pending' : r.ok ? 'ok' : 'blocked';
        return (
          <li key={p} data-testid={`probe-${p}`} data-state={state}>
            <span className="check-probe-dot" aria-hidden="true" />
            <span className="check-probe-name">{t(`probe.${p}`)}</span>
            <span className="check-probe-state">{said(r)}</span>
          </li>
        );
      })}
    </ul>
  );
}
