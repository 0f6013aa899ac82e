import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';

/** French first (the schools'), English available. */
export type Lang = 'fr' | 'en';
export type Vars = Record<string, string | number>;

export interface I18n<K extends string> {
  lang: Lang;
  t: (key: K, vars?: Vars) => string;
  setLang: (lang: Lang) => void;
  toggle: () => void;
}

const STORAGE_KEY = 'amphi.lang';

/** Fills `{name}` placeholders; an unknown one stays as written. */
export function fill(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in vars ? String(vars[name]) : m,
  );
}

/** `?lang=` in the link wins, then the last choice on this device, then French. */
function initialLang(): Lang {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (fromUrl === 'en' || fromUrl === 'fr') return fromUrl;
  return window.localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'fr';
}

const I18nContext = createContext<I18n<string> | null>(null);

/**
 * Gives the app's strings (every key in both languages) to `useI18n`, and
 * keeps the language, and the choice across visits.
 */
export function I18nProvider({
  tables,
  children,
}: {
  tables: Record<Lang, Record<string, string>>;
  children: ReactNode;
}) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    window.localStorage.setItem(STORAGE_KEY, next);
    setLangState(next);
  }, []);
  const value = useMemo<I18n<string>>(
    () => ({
      lang,
      setLang,
      toggle: () => setLang(lang === 'fr' ? 'en' : 'fr'),
      t: (key, vars) => fill(tables[lang][key] ?? key, vars),
    }),
    [lang, setLang, tables],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The strings of the app, typed by its keys `K` (each app names its own). */
export function useI18n<K extends string>(): I18n<K> {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
