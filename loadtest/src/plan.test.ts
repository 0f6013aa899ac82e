import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nicBoundAboveKbps, planEvent, planNodes } from './plan.ts';
import { ASSUMED_PER_CORE, latestPerCore, perCoreFromFanout } from './planFigures.ts';
import { readArgs, report } from './planMain.ts';

const base = {
  classrooms: 10_000,
  kbps: 1_100,
  perCore: 1_000,
  cpuHeadroom: 0.3,
  nicHeadroom: 0.2,
  overhead: 0.05,
};

describe('planEvent', () => {
  it('counts the wire rate, the egress and the cores the audience needs', () => {
    const plan = planEvent(base);
    expect(plan.wireKbps).toBeCloseTo(1_155, 9);
    // 10,000 x 1,155 kbit/s = 11.55 Gbit/s
    expect(plan.egressGbps).toBeCloseTo(11.55, 9);
    // 1,000 per core with 30 % free: 700; 10,000 / 700 = 14.3 -> 15 cores
    expect(plan.usablePerCore).toBeCloseTo(700, 9);
    expect(plan.coresNeeded).toBe(15);
  });

  it('refuses figures that mean nothing', () => {
    expect(() => planEvent({ ...base, perCore: 0 })).toThrow(/perCore must be positive/);
    expect(() => planEvent({ ...base, cpuHeadroom: 1 })).toThrow(/cpuHeadroom/);
    expect(() => planEvent({ ...base, kbps: Number.NaN })).toThrow(/kbps/);
  });
});

describe('planNodes', () => {
  const plan = planEvent(base);

  it('a 16-core node on 10 GbE fills its NIC before its cores', () => {
    const p = planNodes(plan, { cores: 16, reservedCores: 1, nicGbps: 10 });
    expect(p.workerCores).toBe(15);
    expect(p.cpuClassrooms).toBe(10_500); // 15 x 700
    // 10 Gbit/s x 0.8 / 1,155 kbit/s = 6,926.4
    expect(p.nicClassrooms).toBe(6_926);
    expect(p.limit).toBe('nic');
    expect(p.perNode).toBe(6_926);
    expect(p.nodes).toBe(2);
    expect(p.totalCores).toBe(30);
    expect(p.egressPerNodeGbps).toBeCloseTo((6_926 * 1_155) / 1e6, 9);
    // 6,926.4 classrooms of NIC / 700 per core = 9.9 cores
    expect(p.nicBoundAboveCores).toBeCloseTo(8e6 / 1_155 / 700, 9);
  });

  it('an 8-core node on 10 GbE is bound by its cores', () => {
    const p = planNodes(plan, { cores: 8, reservedCores: 1, nicGbps: 10 });
    expect(p.cpuClassrooms).toBe(4_900);
    expect(p.limit).toBe('cpu');
    expect(p.nodes).toBe(3); // 10,000 / 4,900 = 2.04
  });

  it('states the per-classroom bitrate at which CPU and NIC fill together', () => {
    const node = { cores: 16, reservedCores: 1, nicGbps: 10 };
    const kbps = nicBoundAboveKbps(plan, node);
    // 8e6 kbit/s / 10,500 classrooms / 1.05 overhead = 725.6 kbit/s of media
    expect(kbps).toBeCloseTo(8e6 / 10_500 / 1.05, 9);
    const below = planNodes(planEvent({ ...base, kbps: kbps - 1 }), node);
    const above = planNodes(planEvent({ ...base, kbps: kbps + 1 }), node);
    expect(below.limit).toBe('cpu');
    expect(above.limit).toBe('nic');
  });

  it('refuses a node that reserves all its cores', () => {
    expect(() => planNodes(plan, { cores: 2, reservedCores: 2, nicGbps: 10 })).toThrow(/reserves/);
  });
});

describe('the per-core figure from bench results', () => {
  it('prefers the browser-like figure, then the tuned plain one', () => {
    expect(perCoreFromFanout({ perCore: { browser: 1_020, plain: 1_300 } })).toEqual({
      perCore: 1_020,
      kind: 'browser-like',
    });
    expect(
      perCoreFromFanout({ summary: { tuned: { classrooms: 650 }, stock: { classrooms: 420 } } }),
    ).toEqual({ perCore: 650, kind: 'plain' });
    expect(perCoreFromFanout({ summary: {} })).toBeNull();
  });

  it('reads the newest full run, never a --quick one, else the assumed figure', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    try {
      expect(latestPerCore(dir)).toMatchObject({ perCore: ASSUMED_PER_CORE, kind: 'assumed' });
      const write = (name: string, json: unknown) =>
        fs.writeFileSync(path.join(dir, name), JSON.stringify(json));
      write('fanout-2026-11-29T09-00-00-000Z.json', { quick: true, perCore: { plain: 100 } });
      expect(latestPerCore(dir)).toMatchObject({
        perCore: ASSUMED_PER_CORE,
        source: expect.stringContaining('1 --quick ignored'),
      });
      write('fanout-2026-11-29T10-00-00-000Z.json', { summary: { tuned: { classrooms: 600 } } });
      write('fanout-2026-11-29T12-00-00-000Z.json', {
        quick: true,
        summary: { tuned: { classrooms: 900 } },
      });
      write('join-storm-2026-11-29T13-00-00-000Z.json', { perCore: { browser: 5 } });
      expect(latestPerCore(dir)).toEqual({
        perCore: 600,
        kind: 'plain',
        source: 'bench/results/fanout-2026-11-29T10-00-00-000Z.json',
      });
      write('fanout-2026-11-29T14-00-00-000Z.json', { perCore: { browser: 1_010, plain: 1_300 } });
      expect(latestPerCore(dir)).toMatchObject({ perCore: 1_010, kind: 'browser-like' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run plan', () => {
  it('prints the table, the NIC limit and a last summary line', () => {
    const args = readArgs(['--classrooms', '10000', '--kbps', '1100', '--per-core', '1000']);
    const { lines } = report(args);
    expect(lines.some((l) => /^\s+\*16c\/10G\s+15\s+10,500\s+6,926\s+NIC\s/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(
      'plan classrooms=10000 kbps=1100 per_core=1000 cores=15 nodes=2 node=16c/10G limit=nic ' +
        'egress_gbps=11.55 nic_bound_above_cores=9.9',
    );
  });

  it('runs from the command line and refuses an unknown flag', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const run = (...argv: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'loadtest/src/planMain.ts', ...argv], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const out = run('--classrooms', '300', '--kbps', '800', '--per-core', '500');
    expect(out.trim().split('\n').at(-1)).toMatch(/^plan classrooms=300 kbps=800 per_core=500 /);
    expect(() => run('--classrooms', 'many')).toThrow(/--classrooms takes a number/);
  }, 30_000);
});
