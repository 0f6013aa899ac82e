/**
 * The one clock every figure is taken on: CLOCK_MONOTONIC in milliseconds, the
 * clock a mediasoup worker stamps its RTCP sender reports with (uv_hrtime), so
 * that on one machine the simulator, the synthetic speaker and the server's
 * reports agree without any clock sync.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
