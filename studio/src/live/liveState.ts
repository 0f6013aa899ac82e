// The live state's reducer is the sdk's, one for every app (LiveSession).
export { handsInOrder, type LiveView as StudioState } from '@amphi/sdk';
