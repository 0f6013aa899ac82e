import { number } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { ColumnHeads } from './ColumnHeads.tsx';

/** A small table of counts with a bar each (the bar is decoration: the number is the fact). */
export function Counts({
  id,
  title,
  rows,
  empty,
}: {
  id: string;
  title: string;
  rows: [string, number][];
  empty?: string;
}) {
  const { lang } = useI18n();
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return (
    <section aria-labelledby={id} className="counts">
      <h2 id={id}>{title}</h2>
      {rows.length === 0 && empty ? (
        <p>{empty}</p>
      ) : (
        <table>
          <ColumnHeads keys={['counts.what', 'counts.howMany']} />
          <tbody>
            {rows.map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>
                  <span
                    className="meter"
                    style={{ width: `${(n / max) * 6}em` }}
                    aria-hidden="true"
                  />
                  {number(n, lang)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
