import { QuestionCategory } from '@amphi/protocol';
import type { Ref } from 'react';
import { useI18n } from '../../i18n.tsx';
import { ALL_QUESTIONS, isFiltered, type ListView, type SortOrder } from './triage.ts';

const SORTS: readonly SortOrder[] = ['queue', 'votes', 'time'];

interface Props {
  view: ListView;
  onChange: (view: ListView) => void;
  /** Questions shown in both lists, and in all. */
  shownCount: number;
  total: number;
  searchRef: Ref<HTMLInputElement>;
}

/** Search, category and order of the console's two lists (J and K follow what is shown). */
export function TriageToolbar({ view, onChange, shownCount, total, searchRef }: Props) {
  const { t } = useI18n();
  return (
    <search className="triage-toolbar" data-testid="triage-toolbar">
      <label className="field triage-toolbar__search">
        <span>
          {t('mod.search')} <kbd>/</kbd>
        </span>
        <input
          ref={searchRef}
          type="search"
          value={view.search}
          placeholder={t('mod.searchPlaceholder')}
          aria-keyshortcuts="/"
          onChange={(e) => onChange({ ...view, search: e.target.value })}
          onKeyDown={(e) => {
            // Back to the list, the keys J, K, A… act again: Enter keeps the
            // search, Escape empties it (the browser's own, for a search field).
            if (e.key === 'Escape' || e.key === 'Enter') e.currentTarget.blur();
          }}
          data-testid="triage-search"
        />
      </label>
      <label className="field">
        <span>{t('mod.filterCategory')}</span>
        <select
          value={view.category}
          onChange={(e) => onChange({ ...view, category: e.target.value as ListView['category'] })}
          data-testid="triage-category"
        >
          <option value="all">{t('mod.category.all')}</option>
          {QuestionCategory.options.map((c) => (
            <option key={c} value={c}>
              {t(`mod.category.${c}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t('mod.sort')}</span>
        <select
          value={view.sort}
          onChange={(e) => onChange({ ...view, sort: e.target.value as SortOrder })}
          data-testid="triage-sort"
        >
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {t(`mod.sort.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {isFiltered(view) && (
        <p className="triage-toolbar__count" data-testid="triage-count">
          {t('mod.filtered', { count: shownCount, total })}{' '}
          <button
            type="button"
            className="link"
            onClick={() => onChange({ ...ALL_QUESTIONS, sort: view.sort })}
          >
            {t('mod.clearFilters')}
          </button>
        </p>
      )}
    </search>
  );
}
