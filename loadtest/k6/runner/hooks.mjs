// Module resolution for the Node runner: `k6` and `k6/...` imports in a k6
// script resolve to the runner's shims; everything else resolves as usual.
const SHIMS = new URL('./shims/', import.meta.url);

const MODULES = {
  k6: 'k6.ts',
  'k6/execution': 'execution.ts',
  'k6/experimental/timers': 'timers.ts',
  'k6/experimental/websockets': 'websockets.ts',
  'k6/http': 'http.ts',
  'k6/metrics': 'metrics.ts',
  'k6/timers': 'timers.ts',
  'k6/websockets': 'websockets.ts',
  'k6/ws': 'ws.ts',
};

export async function resolve(specifier, context, next) {
  if (specifier === 'k6' || specifier.startsWith('k6/')) {
    const file = MODULES[specifier];
    if (!file) {
      throw new Error(
        `${specifier} is not provided by the Node runner (it has ${Object.keys(MODULES).join(', ')})`,
      );
    }
    // Through the next resolver (tsx), which then loads the TypeScript shim.
    return next(new URL(file, SHIMS).href, context);
  }
  return next(specifier, context);
}
