/** A fragment of fragmented MP4 (moof + mdat): one LL-HLS part. */
export type Fmp4Fragment = {
  bytes: Buffer;
  /** Media time of its first video sample, in seconds. */
  startSeconds: number;
  /** Sum of its video samples' durations, in seconds. */
  durationSeconds: number;
  /** Starts with a video key frame: a player may start decoding here. */
  independent: boolean;
};

type Track = { timescale: number; handler: string; defaultSampleFlags: number };

const NON_SYNC_SAMPLE = 0x10000;

function boxes(buf: Buffer, start = 0, end = buf.length): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  let i = start;
  while (i + 8 <= end) {
    const size = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    if (size < 8 || i + size > end) break;
    out.push({ type, body: buf.subarray(i + 8, i + size) });
    i += size;
  }
  return out;
}

/** Reads big-endian fields one after the other. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public offset: number,
  ) {}
  u32(): number {
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  skip(n: number): void {
    this.offset += n;
  }
}

function child(buf: Buffer, type: string): Buffer | undefined {
  return boxes(buf).find((b) => b.type === type)?.body;
}

/**
 * Cuts FFmpeg's fragmented MP4 stream (`-movflags frag_keyframe+empty_moov+
 * default_base_moof`) into its init segment (ftyp + moov) and its fragments,
 * in memory: what LL-HLS serves as the map and the parts. Each fragment's
 * timing and whether it starts on a key frame are read from its moof.
 */
export class Fmp4Fragmenter {
  #pending: Buffer = Buffer.alloc(0);
  #ftyp: Buffer | undefined;
  #init: Buffer | undefined;
  #moof: Buffer | undefined;
  readonly #tracks = new Map<number, Track>();
  #videoTrackId: number | undefined;
  readonly #onInit: (init: Buffer) => void;
  readonly #onFragment: (fragment: Fmp4Fragment) => void;

  constructor(handlers: {
    onInit: (init: Buffer) => void;
    onFragment: (fragment: Fmp4Fragment) => void;
  }) {
    this.#onInit = handlers.onInit;
    this.#onFragment = handlers.onFragment;
  }

  get init(): Buffer | undefined {
    return this.#init;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    let i = 0;
    while (i + 8 <= this.#pending.length) {
      const size = this.#pending.readUInt32BE(i);
      if (size < 8) throw new Error(`fMP4: box of size ${size}`);
      if (i + size > this.#pending.length) break;
      const type = this.#pending.toString('latin1', i + 4, i + 8);
      this.#box(type, Buffer.from(this.#pending.subarray(i, i + size)));
      i += size;
    }
    this.#pending = this.#pending.subarray(i);
  }

  #box(type: string, box: Buffer): void {
    if (type === 'ftyp') this.#ftyp = box;
    else if (type === 'moov') {
      this.#readMoov(box.subarray(8));
      this.#init = Buffer.concat([this.#ftyp ?? Buffer.alloc(0), box]);
      this.#onInit(this.#init);
    } else if (type === 'moof') this.#moof = box;
    else if (type === 'mdat' && this.#moof) {
      const moof = this.#moof;
      this.#moof = undefined;
      this.#onFragment({ bytes: Buffer.concat([moof, box]), ...this.#timing(moof.subarray(8)) });
    }
  }

  #readMoov(moov: Buffer): void {
    const trex = new Map<number, number>();
    const mvex = child(moov, 'mvex');
    for (const b of mvex ? boxes(mvex) : []) {
      if (b.type === 'trex') trex.set(b.body.readUInt32BE(4), b.body.readUInt32BE(20));
    }
    for (const trak of boxes(moov).filter((b) => b.type === 'trak')) {
      const tkhd = child(trak.body, 'tkhd');
      const mdia = child(trak.body, 'mdia');
      const mdhd = mdia && child(mdia, 'mdhd');
      const hdlr = mdia && child(mdia, 'hdlr');
      if (!tkhd || !mdhd || !hdlr) continue;
      const id = tkhd.readUInt32BE(tkhd[0] === 1 ? 20 : 12);
      const timescale = mdhd.readUInt32BE(mdhd[0] === 1 ? 20 : 12);
      const handler = hdlr.toString('latin1', 8, 12);
      this.#tracks.set(id, { timescale, handler, defaultSampleFlags: trex.get(id) ?? 0 });
      if (handler === 'vide' && this.#videoTrackId === undefined) this.#videoTrackId = id;
    }
  }

  /** The video track's timing in this moof (the first track when there is no video). */
  #timing(moof: Buffer): Omit<Fmp4Fragment, 'bytes'> {
    const trafs = boxes(moof).filter((b) => b.type === 'traf');
    for (const traf of trafs) {
      const tfhd = child(traf.body, 'tfhd');
      if (!tfhd) continue;
      const trackId = tfhd.readUInt32BE(4);
      const track = this.#tracks.get(trackId);
      if (!track || (this.#videoTrackId !== undefined && trackId !== this.#videoTrackId)) continue;
      const tfhdFlags = tfhd.readUInt32BE(0) & 0xffffff;
      const h = new Reader(tfhd, 8);
      if (tfhdFlags & 0x1) h.skip(8);
      if (tfhdFlags & 0x2) h.skip(4);
      const defaultDuration = tfhdFlags & 0x8 ? h.u32() : 0;
      if (tfhdFlags & 0x10) h.skip(4);
      const defaultFlags = tfhdFlags & 0x20 ? h.u32() : track.defaultSampleFlags;
      const tfdt = child(traf.body, 'tfdt');
      const base = tfdt
        ? tfdt[0] === 1
          ? Number(tfdt.readBigUInt64BE(4))
          : tfdt.readUInt32BE(4)
        : 0;
      let duration = 0;
      let firstFlags: number | undefined;
      for (const trun of boxes(traf.body).filter((b) => b.type === 'trun')) {
        const flags = trun.body.readUInt32BE(0) & 0xffffff;
        const count = trun.body.readUInt32BE(4);
        const r = new Reader(trun.body, 8);
        if (flags & 0x1) r.skip(4);
        const first = flags & 0x4 ? r.u32() : undefined;
        for (let s = 0; s < count; s++) {
          const d = flags & 0x100 ? r.u32() : defaultDuration;
          if (flags & 0x200) r.skip(4);
          const own = flags & 0x400 ? r.u32() : defaultFlags;
          if (flags & 0x800) r.skip(4);
          duration += d;
          firstFlags ??= s === 0 && first !== undefined ? first : own;
        }
      }
      return {
        startSeconds: base / track.timescale,
        durationSeconds: duration / track.timescale,
        independent: firstFlags !== undefined && (firstFlags & NON_SYNC_SAMPLE) === 0,
      };
    }
    return { startSeconds: 0, durationSeconds: 0, independent: false };
  }
}
