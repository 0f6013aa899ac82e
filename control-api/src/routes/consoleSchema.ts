import { RestError } from '@amphi/protocol';

// What the console's routes (accounts, catalogue) say alike in their OpenAPI
// schema, so that the two plugins cannot drift apart.

/** The refusals a console route may answer (each with its stable code). */
export const errors = {
  400: RestError,
  401: RestError,
  403: RestError,
  404: RestError,
  409: RestError,
};
export const tags = ['console'];
/** The automation credential or a console session (cookie + CSRF header on writes). */
export const security = [{ operator: [] }];
