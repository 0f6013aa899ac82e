// The media tests drive real FFmpeg and compile the RTP sink: a fresh machine
// gets them from Debian here, before any test runs.
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';

export default function setup(): void {
  ensureDebianPackages(['ffmpeg', 'build-essential']);
}
