/**
 * Version of the wire protocol (REST bodies and WebSocket messages).
 *
 * A client states the version it speaks when it opens its socket (`?v=1`); the
 * server refuses versions it does not know with `PROTOCOL_VERSION_UNSUPPORTED`.
 * Bump it on any breaking change to a schema in this package; additive changes
 * (a new optional field, a new request or event type) keep the version.
 */
export const PROTOCOL_VERSION = 1;

/** Versions this build of the server accepts. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];
