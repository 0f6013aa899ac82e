import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// What the HLS egress leaves on the machine, as its tests look for it: the
// FFmpegs this process runs, the files they hold open (none on a disk: no
// recording), and what ffprobe decodes of what they serve.

/** The egress FFmpegs this process runs (they read RTP described by an SDP on stdin). */
export function egressFfmpegs(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1];
        return cmd[0]?.endsWith('ffmpeg') && cmd.includes('sdp') && ppid === String(process.pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Regular files a process holds open (not pipes, sockets or devices). */
export function openFiles(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith('/') && !target.startsWith('/dev/'));
}

/** ffprobe's view of an fMP4 (init + parts) fed on stdin: its streams and decoded frames. */
export function ffprobe(
  bytes: Buffer,
): Promise<{ streams: { codec_name: string; nb_read_frames?: string }[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_name,nb_read_frames',
        '-of',
        'json',
        '-i',
        'pipe:0',
      ],
      { encoding: 'utf8' },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    );
    child.stdin?.end(bytes);
  });
}
