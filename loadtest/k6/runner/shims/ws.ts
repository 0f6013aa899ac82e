// k6/ws's blocking connect() cannot run one VU's socket while the others go
// on in one Node process: the scripts use k6/websockets instead.
export function connect(): never {
  throw new Error(
    'k6/ws is not available under the Node runner: use k6/websockets (new WebSocket(url))',
  );
}
export default { connect };
