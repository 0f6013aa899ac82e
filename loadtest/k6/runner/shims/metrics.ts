// k6/metrics under the Node runner: Counter, Gauge, Rate, Trend.
import type { MetricType, Tags } from '../metrics.ts';
import { emit, runtime } from '../runtime.ts';

class CustomMetric {
  readonly name: string;
  constructor(name: string, type: MetricType, isTime = false) {
    if (runtime().phase !== 'init') {
      throw new Error(`metric "${name}": custom metrics are made in the init context, as in k6`);
    }
    runtime().registry.define(name, type, isTime);
    this.name = name;
  }
  protected record(value: number, tags?: Tags): void {
    if (!Number.isFinite(value))
      throw new TypeError(`metric "${this.name}": ${value} is not a number`);
    emit(this.name, value, tags);
  }
}

export class Counter extends CustomMetric {
  constructor(name: string, isTime = false) {
    super(name, 'counter', isTime);
  }
  add(value: number, tags?: Tags): void {
    this.record(value, tags);
  }
}

export class Gauge extends CustomMetric {
  constructor(name: string, isTime = false) {
    super(name, 'gauge', isTime);
  }
  add(value: number, tags?: Tags): void {
    this.record(value, tags);
  }
}

export class Rate extends CustomMetric {
  constructor(name: string) {
    super(name, 'rate');
  }
  add(value: number | boolean, tags?: Tags): void {
    this.record(value ? 1 : 0, tags);
  }
}

export class Trend extends CustomMetric {
  constructor(name: string, isTime = false) {
    super(name, 'trend', isTime);
  }
  add(value: number, tags?: Tags): void {
    this.record(value, tags);
  }
}
