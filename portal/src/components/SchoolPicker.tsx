import type { SchoolSearchResult } from '@amphi/protocol';
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { searchSchools } from '../api.ts';
import { useI18n } from '../i18n.tsx';

export type SchoolChoice = SchoolSearchResult['items'][number];

type Search =
  | { state: 'idle' }
  | { state: 'searching' }
  | { state: 'found'; items: SchoolChoice[] }
  | { state: 'failed'; error: unknown };

/**
 * The school, searched in the schools the programme knows, never typed
 * free-hand: a combobox (WAI-ARIA 1.2) whose list follows what is typed;
 * arrows move, Enter chooses, Escape closes.
 */
export function SchoolPicker({
  value,
  onChange,
  invalid,
}: {
  value: SchoolChoice | null;
  onChange: (school: SchoolChoice | null) => void;
  invalid: boolean;
}) {
  const { t, errorText } = useI18n();
  const ids = useId();
  const [text, setText] = useState('');
  const [search, setSearch] = useState<Search>({ state: 'idle' });
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const change = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setSearch({ state: 'idle' });
      return;
    }
    const abort = new AbortController();
    setSearch({ state: 'searching' });
    const timer = setTimeout(() => {
      searchSchools(q, abort.signal).then(
        (r) => {
          setSearch({ state: 'found', items: r.items });
          setActive(-1);
        },
        (error: unknown) => {
          if (!abort.signal.aborted) setSearch({ state: 'failed', error });
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [text]);

  const items = search.state === 'found' ? search.items : [];
  const expanded = open && items.length > 0;
  const choose = (school: SchoolChoice) => {
    onChange(school);
    setOpen(false);
    setText('');
    // The chosen school replaces the field: the keyboard goes to its « change » button.
    requestAnimationFrame(() => change.current?.focus());
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' && items.length > 0) {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (i + 1) % items.length);
    } else if (e.key === 'ArrowUp' && items.length > 0) {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (i <= 0 ? items.length - 1 : i - 1));
    } else if (e.key === 'Enter' && expanded) {
      e.preventDefault();
      const school = items[active] ?? (items.length === 1 ? items[0] : undefined);
      if (school) choose(school);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };

  if (value) {
    return (
      <div className="field school chosen">
        <span className="label">{t('enrol.school')}</span>
        <p className="chosen" id={`${ids}-chosen`}>
          {t('enrol.schoolChosen', { name: value.name, town: value.town })}
        </p>
        <button
          ref={change}
          type="button"
          className="secondary"
          onClick={() => {
            onChange(null);
            requestAnimationFrame(() => input.current?.focus());
          }}
        >
          {t('enrol.schoolChange')}
        </button>
      </div>
    );
  }

  const status =
    search.state === 'searching'
      ? t('enrol.schoolSearching')
      : search.state === 'found'
        ? items.length === 0
          ? t('enrol.schoolNone')
          : t('enrol.schoolResults', { count: items.length })
        : search.state === 'failed'
          ? t('app.failed', { reason: errorText(search.error) })
          : '';
  return (
    <div className="field school">
      <label htmlFor={`${ids}-input`}>{t('enrol.school')}</label>
      <input
        ref={input}
        id={`${ids}-input`}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={`${ids}-list`}
        aria-activedescendant={expanded && active >= 0 ? `${ids}-option-${active}` : undefined}
        aria-describedby={`${ids}-hint ${ids}-status`}
        aria-invalid={invalid}
        aria-required="true"
        value={text}
        maxLength={120}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
        onFocus={() => setOpen(true)}
      />
      <span className="hint" id={`${ids}-hint`}>
        {invalid ? t('enrol.schoolRequired') : t('enrol.schoolHint')}
      </span>
      <span className="status" id={`${ids}-status`} aria-live="polite">
        {status}
      </span>
      <div id={`${ids}-list`} role="listbox" className="options" hidden={!expanded}>
        {items.map((school, i) => (
          <div
            key={school.id}
            tabIndex={-1}
            id={`${ids}-option-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            // Chosen before the input's blur closes the list.
            onMouseDown={(e) => {
              e.preventDefault();
              choose(school);
            }}
          >
            <strong>{school.name}</strong> <span>{school.town}</span>{' '}
            <span className="academie">{school.academie}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
