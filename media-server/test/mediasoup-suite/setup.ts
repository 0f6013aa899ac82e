// mediasoup's tests call `jest.fn()` (and nothing else from `jest`); vitest's
// `vi.fn()` is the same mock function with the same matchers.
import { vi } from 'vitest';

Object.assign(globalThis, { jest: vi });
