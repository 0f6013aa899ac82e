import { describe, expect, it } from 'vitest';
import { timeZoneOf } from './linkSheets.ts';

describe('the printable sheet', () => {
  it('gives the start in the school’s own time zone, named', () => {
    expect(
      ['Guadeloupe', 'La Réunion', 'Nouvelle-Calédonie', 'Lyon', 'Polynésie française'].map(
        timeZoneOf,
      ),
    ).toEqual([
      'America/Guadeloupe',
      'Indian/Reunion',
      'Pacific/Noumea',
      'Europe/Paris',
      'Pacific/Tahiti',
    ]);
  });
});
