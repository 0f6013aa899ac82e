// A server stand-in for ffmpeg-orphan.test.ts: starts the test source without
// a duration (as the demo does), prints FFmpeg's pid, then waits to be killed.
import { FfmpegTestSource } from '../../src/ingest/FfmpegTestSource.ts';

const [videoPort, audioPort] = process.argv.slice(2).map(Number) as [number, number];
const source = await FfmpegTestSource.start({ ip: '127.0.0.1', videoPort, audioPort });
console.log(JSON.stringify({ pid: source.pid }));
setInterval(() => {}, 60_000);
