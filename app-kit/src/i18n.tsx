import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { errorMessage } from './errorMessages.ts';

/** French first (the schools'), English available. */
export type Lang = 'fr' | 'en';
export type Vars = Record<string, string | number>;

/**
 * A key written once per plural form (`x_one`, `x_other`, …) is asked for as
 * `x`, with `{ count }`: `Intl.PluralRules` of the language picks the form.
 */
export type PluralBase<K extends string> = K extends `${infer B}_other` ? B : never;

export interface I18n<K extends string> {
  lang: Lang;
  t: (key: K | PluralBase<K>, vars?: Vars) => string;
  /** What went wrong, in the reader's language, from the error's stable code (never the server's English). */
  errorText: (err: unknown) => string;
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

const pluralRules = new Map<Lang, Intl.PluralRules>();

/**
 * The string of `key` in `table`, placeholders filled. With a numeric
 * `count`, the plural form of that number in `lang` (`key_one`, `key_other`…;
 * French says « 0 classe », « 1 classe », « 2 classes »), `key_other` when the
 * table has no key for that form (French says « many » of a million).
 */
export function translate(
  table: Readonly<Record<string, string>>,
  lang: Lang,
  key: string,
  vars?: Vars,
): string {
  const count = vars?.count;
  if (typeof count === 'number' && !(key in table)) {
    let rules = pluralRules.get(lang);
    if (!rules) {
      rules = new Intl.PluralRules(lang);
      pluralRules.set(lang, rules);
    }
    const form = table[`${key}_${rules.select(count)}`] ?? table[`${key}_other`];
    if (form !== undefined) return fill(form, vars);
  }
  return fill(table[key] ?? key, vars);
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
      t: (key, vars) => translate(tables[lang], lang, key, vars),
      errorText: (err) => errorMessage(err, lang),
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
