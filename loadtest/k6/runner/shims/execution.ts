// k6/execution under the Node runner: the calling VU's and scenario's state.
import { currentIteration, runtime } from '../runtime.ts';

function it() {
  const current = currentIteration();
  if (!current) throw new Error('k6/execution: no VU here (init, setup or teardown)');
  return current;
}

export class AbortTest extends Error {}

const exec = {
  vu: {
    get idInInstance() {
      return it().vu.idInTest;
    },
    get idInTest() {
      return it().vu.idInTest;
    },
    get iterationInInstance() {
      return it().vu.iterationInInstance;
    },
    get iterationInScenario() {
      return it().iterationInScenario;
    },
    get tags() {
      return it().vu.tags;
    },
  },
  scenario: {
    get name() {
      return it().scenario.name;
    },
    get executor() {
      return it().scenario.executor;
    },
    get startTime() {
      return it().scenario.startTime;
    },
    get progress() {
      return it().scenario.progress();
    },
    get iterationInInstance() {
      return it().iterationInScenario;
    },
    get iterationInTest() {
      return it().iterationInScenario;
    },
  },
  test: {
    get options() {
      return runtime().options;
    },
    abort(message = 'test aborted') {
      throw new AbortTest(message);
    },
  },
};

export default exec;
