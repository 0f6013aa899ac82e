#!/usr/bin/env node
// Builds the mediasoup worker offline, against Debian's libraries, and puts it
// where mediasoup looks for it. Runs as the root package's postinstall.
//
// mediasoup's own postinstall downloads a prebuilt worker, or builds with
// meson wraps that download their sources: neither works without internet, so
// package.json denies it (allowScripts) and this script does the build:
//   - OpenSSL 3.5 and an OpenSSL-backed libsrtp built statically from pinned
//     upstream tarballs out of Debian's archive (see worker-sources.mjs):
//     Debian's libsrtp2 uses NSS, which costs 3-4x per packet;
//   - each meson subproject replaced by a stub that hands out the matching
//     Debian library, so mediasoup's meson.build files stay as they are;
//   - a small header shim: mediasoup 3.13+ is written for libsrtp 3's API.
// The binary is cached outside node_modules (XDG_CACHE_HOME or ~/.cache),
// keyed by mediasoup version, profile, the sources' sha256 and the build
// recipe, so a re-install is instant; build.json beside it says what went in.
//
// Usage: node scripts/mediasoup-worker.mjs [--profile tuned|tuned-history|tuned-reap|tuned-no-reap|tuned-tcc|tuned-unpatched|stock|debian-srtp] [--print-path] [--no-link]
//   tuned (default): -O3, LTO, io_uring, the transport-cc patches, no io_uring
//     zero copy, io_uring completions reaped after each submission, the
//     transport-cc send history in a ring, one clock read per fanned-out
//     packet; what Amphi runs.
//   tuned-history: tuned without the last patch; tuned-reap: without the send
//     history ring either; tuned-no-reap: without the completions reaped;
//     tuned-tcc: without the zero-copy one either; tuned-unpatched: without
//     any (the bench shows what each bought).
//   stock: mediasoup's default build options (release); the benchmark baseline.
//   debian-srtp: stock, linked against Debian's libsrtp2 (NSS crypto).

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from './debian-packages.mjs';
import {
  DebianSourceArchive,
  localSource,
  resolveSource,
  WORKER_SOURCES,
} from './worker-sources.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const BUILD_PACKAGES = [
  'build-essential',
  'pkg-config',
  'meson',
  'ninja-build',
  'libssl-dev',
  'libuv1-dev',
  'libabsl-dev',
  'libusrsctp-dev',
  'nlohmann-json3-dev',
  'flatbuffers-compiler',
  'libflatbuffers-dev',
  'liburing-dev',
];

const STOCK_OPTIONS = ['--buildtype', 'release', '-Db_ndebug=true'];

/**
 * Source patches for the worker's transport-cc path, found by profiling the
 * fan-out bench's browser-like classrooms (media-server/bench/fanout.ts). Each
 * replaces text that must occur exactly `count` times in mediasoup 3.14's
 * worker/ sources, so an upgrade that moves the code fails the build loudly.
 */
const TCC_PATCHES = [
  {
    // mediasoup's pacer only paces probes, yet every transport with
    // transport-cc woke every 5 ms (and ran GoogCC's 25 ms process step each
    // time): 200 timer calls a second per classroom. Woken every 25 ms (GoogCC's
    // own interval) when no probe is due; a probe cluster still runs at its pace.
    file: 'deps/libwebrtc/libwebrtc/modules/pacing/paced_sender.cc',
    find: 'const int64_t kDefaultMinPacketLimitMs = 5;',
    replace: 'const int64_t kDefaultMinPacketLimitMs = 25;',
    count: 1,
  },
  {
    // Each packet's send time went through a heap-allocated std::function
    // holding a weak_ptr, run when io_uring reaped the send (zero copy: its
    // second completion). The send time is taken as the packet is handed to
    // the socket, with no allocation.
    file: 'src/RTC/Transport.cpp',
    find: [
      '\t\t\tconst auto* cb = new onSendCallback(\n',
      '\t\t\t  [tccClientWeakPtr, packetInfo](bool sent)\n',
      '\t\t\t  {\n',
      '\t\t\t\t  if (sent)\n',
      '\t\t\t\t  {\n',
      '\t\t\t\t\t  auto tccClient = tccClientWeakPtr.lock();\n',
      '\n',
      '\t\t\t\t\t  if (tccClient)\n',
      '\t\t\t\t\t  {\n',
      '\t\t\t\t\t\t  tccClient->PacketSent(packetInfo, DepLibUV::GetTimeMsInt64());\n',
      '\t\t\t\t\t  }\n',
      '\t\t\t\t  }\n',
      '\t\t\t  });\n',
    ].join(''),
    replace:
      '\t\t\tconst onSendCallback* cb{ nullptr };\n\n' +
      '\t\t\tthis->tccClient->PacketSent(packetInfo, DepLibUV::GetTimeMsInt64());\n',
    count: 3,
  },
];

/**
 * io_uring zero-copy sends pin the registered buffer's pages per packet and
 * post a second completion when the kernel lets go of them; the kernel's
 * guidance (MSG_ZEROCOPY) is that this pays from about 10 KB writes, and a
 * forwarded packet is ~1.2 KB. Over loopback the kernel copies the pages
 * anyway (skb_copy_ubufs): 13 % of a plain worker's CPU in the fan-out bench.
 * mediasoup's own fallback (plain io_uring sendto) is used instead.
 */
const ZERO_COPY_OFF = {
  file: 'include/DepLibUring.hpp',
  find: 'bool zeroCopyEnabled{ true };',
  replace: 'bool zeroCopyEnabled{ false };',
  count: 1,
};

/**
 * io_uring completions are reaped once per event-loop turn (the ring's
 * eventfd), and each send holds one of the ring's 4,096 entries until then.
 * A worker that reads a burst of incoming packets in one turn (a key frame,
 * a backlog) fans each out to every classroom: the entries run out after a
 * few packets and every further send falls back to one sendmsg() system call
 * each; the bench's 'uring %' column showed most sends going that way. UDP
 * sends complete inside io_uring_submit(), so their completions are reaped
 * right after it and the entries are free for the next packet.
 */
const REAP_AFTER_SUBMIT = [
  {
    file: 'src/DepLibUring.cpp',
    find: [
      'inline static void onFdEvent(uv_poll_t* handle, int status, int events)\n',
      '{\n',
      '\tauto* liburing = static_cast<DepLibUring::LibUring*>(handle->data);\n',
      '\tauto count     = io_uring_peek_batch_cqe(liburing->GetRing(), cqes, DepLibUring::QueueDepth);\n',
      '\n',
      '\t// libuv uses level triggering, so we need to read from the socket to reset\n',
      '\t// the counter in order to avoid libuv calling this callback indefinitely.\n',
      '\teventfd_t v;\n',
      '\tint err = eventfd_read(liburing->GetEventFd(), std::addressof(v));\n',
      '\n',
      '\tif (err < 0)\n',
      '\t{\n',
      '\t\t// Get positive errno.\n',
      '\t\tint error = -err;\n',
      '\n',
      '\t\tMS_ABORT("eventfd_read() failed: %s", std::strerror(error));\n',
      '\t};\n',
      '\n',
    ].join(''),
    replace: [
      'static void reapCompletions(DepLibUring::LibUring* liburing);\n',
      '\n',
      'inline static void onFdEvent(uv_poll_t* handle, int status, int events)\n',
      '{\n',
      '\tauto* liburing = static_cast<DepLibUring::LibUring*>(handle->data);\n',
      '\n',
      '\t// libuv uses level triggering, so we need to read from the socket to reset\n',
      '\t// the counter in order to avoid libuv calling this callback indefinitely.\n',
      '\teventfd_t v;\n',
      '\tint err = eventfd_read(liburing->GetEventFd(), std::addressof(v));\n',
      '\n',
      '\tif (err < 0)\n',
      '\t{\n',
      '\t\t// Get positive errno.\n',
      '\t\tint error = -err;\n',
      '\n',
      '\t\tMS_ABORT("eventfd_read() failed: %s", std::strerror(error));\n',
      '\t};\n',
      '\n',
      '\treapCompletions(liburing);\n',
      '}\n',
      '\n',
      '// Runs on the eventfd and right after each submission (Submit()).\n',
      'static void reapCompletions(DepLibUring::LibUring* liburing)\n',
      '{\n',
      '\tauto count = io_uring_peek_batch_cqe(liburing->GetRing(), cqes, DepLibUring::QueueDepth);\n',
      '\n',
    ].join(''),
    count: 1,
  },
  {
    file: 'src/DepLibUring.cpp',
    find: '\t\tMS_ERROR("io_uring_submit() failed: %s", std::strerror(error));\n\t}\n}\n',
    replace:
      '\t\tMS_ERROR("io_uring_submit() failed: %s", std::strerror(error));\n\t}\n\n' +
      '\t// UDP sends complete inside io_uring_submit(): free their entries now.\n' +
      '\treapCompletions(this);\n}\n',
    count: 1,
  },
];

/** A file of scripts/worker-patches/, read when the script loads (its text goes into the cache key). */
function patchFile(name) {
  return fs.readFileSync(path.join(root, 'scripts', 'worker-patches', name), 'utf8');
}

/**
 * transport-cc's send history (libwebrtc's SendTimeHistory) kept every packet
 * sent with a transport-wide sequence number in a std::map until its feedback
 * came: a heap node, a tree insertion and a rebalancing erase per packet, and
 * three tree searches (sent, feedback, bytes in flight). A ring of slots
 * indexed by the sequence number does the same with no allocation; packets
 * left unacknowledged longer than the ring spans move to a map as before
 * (scripts/worker-patches/send_time_history.*, same interface; a differential
 * test against the original gave identical answers). Each transport-wide
 * feedback also copied its vector of results and grew three others one
 * element at a time.
 */
const SEND_HISTORY = [
  {
    file: 'deps/libwebrtc/libwebrtc/modules/congestion_controller/rtp/send_time_history.h',
    sha256: '1ffb70bb2cf3e8982bf54b7bf5418a91438ff7b0822733ec87e444ac467140d2',
    content: patchFile('send_time_history.h'),
  },
  {
    file: 'deps/libwebrtc/libwebrtc/modules/congestion_controller/rtp/send_time_history.cc',
    sha256: '02bfaf73699bc559bacff9f9118cfb78566996b02b330bc2e458c2afb01af10b',
    content: patchFile('send_time_history.cc'),
  },
  {
    file: 'deps/libwebrtc/libwebrtc/modules/congestion_controller/rtp/transport_feedback_adapter.cc',
    find:
      '  std::vector<PacketFeedback> feedback_vector = last_packet_feedback_vector_;\n' +
      '  if (feedback_vector.empty())\n' +
      '    return absl::nullopt;\n' +
      '\n' +
      '  TransportPacketsFeedback msg;\n',
    replace:
      '  const std::vector<PacketFeedback>& feedback_vector = last_packet_feedback_vector_;\n' +
      '  if (feedback_vector.empty())\n' +
      '    return absl::nullopt;\n' +
      '\n' +
      '  TransportPacketsFeedback msg;\n' +
      '  msg.packet_feedbacks.reserve(feedback_vector.size());\n',
    count: 1,
  },
  {
    file: 'deps/libwebrtc/libwebrtc/mediasoup_helpers.h',
    find: '\t\t\tstd::vector<webrtc::rtcp::ReceivedPacket> receivedPackets;\n',
    replace:
      '\t\t\tstd::vector<webrtc::rtcp::ReceivedPacket> receivedPackets;\n' +
      '\t\t\treceivedPackets.reserve(packet->GetPacketStatusCount());\n',
    count: 1,
  },
  {
    file: 'src/RTC/RTCP/FeedbackRtpTransport.cpp',
    find: '\t\t\tauto chunksIt = this->chunks.begin();\n',
    replace:
      '\t\t\tthis->deltas.reserve(receivedPacketStatusCount);\n\n' +
      '\t\t\tauto chunksIt = this->chunks.begin();\n',
    count: 1,
  },
  {
    file: 'src/RTC/RTCP/FeedbackRtpTransport.cpp',
    find: '\t\t\tstd::vector<struct PacketResult> packetResults;\n',
    replace:
      '\t\t\tstd::vector<struct PacketResult> packetResults;\n' +
      '\t\t\tpacketResults.reserve(this->packetStatusCount);\n',
    count: 1,
  },
];

/**
 * Each packet forwarded to a classroom read the clock (clock_gettime) five
 * times: abs-send-time, the send history's creation time, the sent time, and
 * two rate counters. All of one packet's sends are handed to the kernel
 * together after the fan-out (io_uring submission), so the time at which the
 * router starts fanning a packet out is as true for each of them: the router
 * holds it while it fans out, and GetTimeMs() returns it meanwhile. The
 * weak_ptr each send still built for a callback it no longer has (two atomic
 * operations) is only built where that callback exists.
 */
const FANOUT_CLOCK = [
  {
    file: 'include/DepLibUV.hpp',
    find: [
      '\tstatic uint64_t GetTimeMs()\n',
      '\t{\n',
      '\t\treturn static_cast<uint64_t>(uv_hrtime() / 1000000u);\n',
      '\t}\n',
    ].join(''),
    replace: [
      '\tstatic uint64_t GetTimeMs()\n',
      '\t{\n',
      '\t\tif (DepLibUV::heldTimeMs != 0u)\n',
      '\t\t{\n',
      '\t\t\treturn DepLibUV::heldTimeMs;\n',
      '\t\t}\n',
      '\n',
      '\t\treturn static_cast<uint64_t>(uv_hrtime() / 1000000u);\n',
      '\t}\n',
      '\t// While one lives, GetTimeMs() returns the time it was created at: a\n',
      '\t// packet fanned out to many consumers reads the clock once.\n',
      '\tclass HoldTimeMs\n',
      '\t{\n',
      '\tpublic:\n',
      '\t\tHoldTimeMs() : previous(DepLibUV::heldTimeMs)\n',
      '\t\t{\n',
      '\t\t\tDepLibUV::heldTimeMs = DepLibUV::GetTimeMs();\n',
      '\t\t}\n',
      '\t\t~HoldTimeMs()\n',
      '\t\t{\n',
      '\t\t\tDepLibUV::heldTimeMs = this->previous;\n',
      '\t\t}\n',
      '\t\tHoldTimeMs(const HoldTimeMs&)            = delete;\n',
      '\t\tHoldTimeMs& operator=(const HoldTimeMs&) = delete;\n',
      '\n',
      '\tprivate:\n',
      '\t\tuint64_t previous;\n',
      '\t};\n',
    ].join(''),
    count: 1,
  },
  {
    file: 'include/DepLibUV.hpp',
    find: '\tthread_local static uv_loop_t* loop;\n',
    replace: '\tthread_local static uv_loop_t* loop;\n\tthread_local static uint64_t heldTimeMs;\n',
    count: 1,
  },
  {
    file: 'src/DepLibUV.cpp',
    find: 'thread_local uv_loop_t* DepLibUV::loop{ nullptr };\n',
    replace:
      'thread_local uv_loop_t* DepLibUV::loop{ nullptr };\n' +
      'thread_local uint64_t DepLibUV::heldTimeMs{ 0u };\n',
    count: 1,
  },
  {
    file: 'src/RTC/Router.cpp',
    find: [
      '\t\t\t// Clone only happens if needed.\n',
      '\t\t\tstd::shared_ptr<RTC::RtpPacket> sharedPacket;\n',
    ].join(''),
    replace: [
      '\t\t\t// Clone only happens if needed.\n',
      '\t\t\tstd::shared_ptr<RTC::RtpPacket> sharedPacket;\n',
      '\t\t\t// All its sends leave together (io_uring submission): one time for all.\n',
      '\t\t\tconst DepLibUV::HoldTimeMs holdTimeMs;\n',
    ].join(''),
    count: 1,
  },
  {
    file: 'src/RTC/Router.cpp',
    find: '#include "DepLibUring.hpp"\n',
    replace: '#include "DepLibUV.hpp"\n#include "DepLibUring.hpp"\n',
    count: 1,
  },
  {
    file: 'src/RTC/Transport.cpp',
    find:
      '\t\t\tconst std::weak_ptr<RTC::TransportCongestionControlClient> tccClientWeakPtr(this->tccClient);\n' +
      '\n' +
      '#ifdef ENABLE_RTC_SENDER_BANDWIDTH_ESTIMATOR\n',
    replace:
      '#ifdef ENABLE_RTC_SENDER_BANDWIDTH_ESTIMATOR\n' +
      '\t\t\tconst std::weak_ptr<RTC::TransportCongestionControlClient> tccClientWeakPtr(this->tccClient);\n',
    count: 3,
  },
];

/** Build profiles: meson options, which libsrtp the worker links, source patches. */
const TUNED_OPTIONS = [...STOCK_OPTIONS, '-Doptimization=3', '-Db_lto=true'];

const PROFILES = {
  tuned: {
    meson: TUNED_OPTIONS,
    srtp: 'openssl',
    patches: [
      ...TCC_PATCHES,
      ZERO_COPY_OFF,
      ...REAP_AFTER_SUBMIT,
      ...SEND_HISTORY,
      ...FANOUT_CLOCK,
    ],
  },
  // What tuned was before each patch (each binary keeps its cache entry): the
  // bench shows each step's gain. unpatched -> tcc -> no-reap (+ zero copy off)
  // -> reap (+ completions reaped) -> history (+ send history ring) -> tuned (+ fan-out clock).
  'tuned-history': {
    meson: TUNED_OPTIONS,
    srtp: 'openssl',
    patches: [...TCC_PATCHES, ZERO_COPY_OFF, ...REAP_AFTER_SUBMIT, ...SEND_HISTORY],
    cacheName: 'tuned',
  },
  'tuned-reap': {
    meson: TUNED_OPTIONS,
    srtp: 'openssl',
    patches: [...TCC_PATCHES, ZERO_COPY_OFF, ...REAP_AFTER_SUBMIT],
    cacheName: 'tuned',
  },
  'tuned-unpatched': { meson: TUNED_OPTIONS, srtp: 'openssl', cacheName: 'tuned' },
  'tuned-tcc': { meson: TUNED_OPTIONS, srtp: 'openssl', patches: TCC_PATCHES },
  'tuned-no-reap': {
    meson: TUNED_OPTIONS,
    srtp: 'openssl',
    patches: [...TCC_PATCHES, ZERO_COPY_OFF],
    cacheName: 'tuned',
  },
  stock: { meson: STOCK_OPTIONS, srtp: 'openssl' },
  // Debian's own libsrtp2 (NSS crypto): what a plain Debian build gets.
  'debian-srtp': { meson: STOCK_OPTIONS, srtp: 'debian' },
};

function parseArgs(argv) {
  const args = { profile: 'tuned', printPath: false, link: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--profile') args.profile = argv[++i];
    else if (arg === '--print-path') args.printPath = true;
    else if (arg === '--no-link') args.link = false;
    else throw new Error(`unknown argument: ${arg}`);
  }
  if (!(args.profile in PROFILES)) throw new Error(`unknown profile: ${args.profile}`);
  return args;
}

const log = (msg) => process.stderr.write(`[mediasoup-worker] ${msg}\n`);

function mediasoupPackageDir() {
  const require = createRequire(path.join(root, 'media-server', 'package.json'));
  return path.dirname(require.resolve('mediasoup/package.json'));
}

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'amphi', 'mediasoup-worker');
}

/** Runs a command, streaming its output to stderr with a prefix; rejects with its tail. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let tail = '';
    const onData = (chunk) => {
      tail = (tail + chunk).slice(-4000);
      if (opts.progress) opts.progress(String(chunk));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${tail}`)),
    );
  });
}

/** ninja prints "[n/total]": show it every few percent so a multi-minute build shows life. */
function ninjaProgress() {
  let shown = -1;
  return (text) => {
    for (const m of text.matchAll(/\[(\d+)\/(\d+)\]/g)) {
      const pct = Math.floor((Number(m[1]) / Number(m[2])) * 100);
      if (pct >= shown + 10 || (pct === 100 && shown !== 100)) {
        shown = pct;
        log(`compiling: ${pct}% (${m[1]}/${m[2]})`);
      }
    }
  };
}

function unpack(tarball, dir) {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['xf', tarball, '-C', dir, '--strip-components=1']);
  return dir;
}

/**
 * OpenSSL 3.5 built as static libraries: Debian 12's libssl 3.0 crashes
 * (SIGSEGV in SSL_read) on the DTLS ClientHello of current Chromium; upstream
 * mediasoup links its own static OpenSSL too.
 */
async function buildOpenssl(source, workDir, prefix) {
  const src = unpack(source.file, path.join(workDir, 'openssl'));
  log(`building OpenSSL ${source.upstream} as static libraries; this takes minutes`);
  await run(
    './Configure',
    [
      'linux-x86_64',
      'no-shared',
      'no-tests',
      'no-docs',
      `--prefix=${prefix}`,
      '--libdir=lib',
      '-O3',
      '-fPIC',
    ],
    { cwd: src },
  );
  await run('make', [`-j${os.availableParallelism()}`, 'build_libs'], { cwd: src });
  await run('make', ['install_dev'], { cwd: src });
}

async function buildLibsrtp(source, workDir, prefix, opensslPrefix) {
  const src = unpack(source.file, path.join(workDir, 'libsrtp'));
  log(`building libsrtp ${source.upstream} with OpenSSL crypto`);
  await run(
    './configure',
    ['--enable-openssl', `--with-openssl-dir=${opensslPrefix}`, `--prefix=${prefix}`],
    {
      cwd: src,
      env: { ...process.env, CFLAGS: '-O3 -fPIC' },
    },
  );
  await run('make', [`-j${os.availableParallelism()}`, 'libsrtp2.a'], { cwd: src });
  await run('make', ['install'], { cwd: src });
}

/** Meson subproject stubs: each hands out the Debian library under the names mediasoup uses. */
function subprojectStubs(prefixes, srtp) {
  const { srtp: srtpPrefix, openssl: opensslPrefix } = prefixes;
  const emptyLib = (name) => `${name} = static_library('${name}_stub', 'empty.c')`;
  const libcrypto = path.join(opensslPrefix, 'lib', 'libcrypto.a');
  return {
    openssl: [
      `openssl_dep = declare_dependency(`,
      `  compile_args: ['-I${path.join(opensslPrefix, 'include')}'],`,
      `  link_args: ['${path.join(opensslPrefix, 'lib', 'libssl.a')}', '${libcrypto}', '-ldl', '-pthread'],`,
      `)`,
      emptyLib('libcrypto_lib'),
      emptyLib('libssl_lib'),
    ],
    libuv: [`libuv_dep = dependency('libuv')`, emptyLib('libuv')],
    libsrtp2:
      srtp === 'debian'
        ? [
            `libsrtp2_dep = declare_dependency(`,
            `  compile_args: ['-I' + meson.current_source_dir()],`,
            `  dependencies: [dependency('libsrtp2')],`,
            `)`,
            emptyLib('libsrtp2'),
          ]
        : [
            `libsrtp2_dep = declare_dependency(`,
            `  compile_args: ['-I${path.join(srtpPrefix, 'include')}', '-I' + meson.current_source_dir()],`,
            `  link_args: ['${path.join(srtpPrefix, 'lib', 'libsrtp2.a')}', '${libcrypto}'],`,
            `)`,
            emptyLib('libsrtp2'),
          ],
    usrsctp: [`usrsctp_dep = dependency('usrsctp')`, emptyLib('usrsctp')],
    'abseil-cpp': [
      `absl_container_dep = dependency('absl_flat_hash_map')`,
      `absl_strings_dep = dependency('absl_strings')`,
      `absl_types_dep = dependency('absl_optional')`,
      emptyLib('absl_container_lib'),
    ],
    flatbuffers: [`flatbuffers_dep = dependency('flatbuffers')`, emptyLib('flatbuffers_lib')],
    catch2: [`catch2_dep = dependency('catch2-with-main', required: false)`],
    liburing: [
      `uring = declare_dependency(`,
      `  dependencies: [dependency('liburing')],`,
      `  compile_args: ['-include', meson.current_source_dir() / 'liburing-compat.h'],`,
      `)`,
      emptyLib('liburing'),
    ],
  };
}

// Options mediasoup passes to its subprojects; meson refuses undeclared ones.
const STUB_OPTIONS = {
  libuv: ['build_tests', 'build_benchmarks'],
  libsrtp2: ['crypto-library', 'crypto-library-kdf', 'tests'],
  usrsctp: ['sctp_build_programs'],
};

// mediasoup 3.13+ calls libsrtp 3's API; Debian ships libsrtp 2. These C++
// overloads adapt the length type (size_t vs int) and the one renamed call.
const SRTP_COMPAT_H = `#pragma once
#include <srtp2/srtp.h>
#include <arpa/inet.h>
#include <cstddef>

#define AMPHI_SRTP_LEN_ADAPTER(fn)                                              \\
  inline srtp_err_status_t fn(srtp_t ctx, uint8_t* data, size_t* len)          \\
  {                                                                            \\
    int n = static_cast<int>(*len);                                            \\
    const srtp_err_status_t err = fn(ctx, static_cast<void*>(data), &n);       \\
    *len = static_cast<size_t>(n);                                             \\
    return err;                                                                \\
  }
AMPHI_SRTP_LEN_ADAPTER(srtp_protect)
AMPHI_SRTP_LEN_ADAPTER(srtp_unprotect)
AMPHI_SRTP_LEN_ADAPTER(srtp_protect_rtcp)
AMPHI_SRTP_LEN_ADAPTER(srtp_unprotect_rtcp)
#undef AMPHI_SRTP_LEN_ADAPTER

// mediasoup passes htonl(ssrc) and libsrtp 3 converts it once more, so upstream's
// call never finds the stream: a stream is only dropped with its session. Do the
// same: really removing it would restart its rollover counter at 0, and after a
// sequence wrap every later packet of that SSRC would fail to decrypt.
inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
  return srtp_remove_stream(session, htonl(ssrc));
}
`;

// liburing 2.3 (Debian 12) predates two helpers mediasoup uses; 2.4 defines
// them exactly like this, on calls 2.3 already has.
const LIBURING_COMPAT_H = `#pragma once
#include <liburing.h>
#ifndef IO_URING_VERSION_MAJOR
static inline int io_uring_major_version(void) { return 2; }
static inline int io_uring_minor_version(void) { return 3; }
static inline void io_uring_prep_sendto(struct io_uring_sqe* sqe, int sockfd, const void* buf,
  size_t len, int flags, const struct sockaddr* addr, socklen_t addrlen)
{
  io_uring_prep_send(sqe, sockfd, buf, len, flags);
  io_uring_prep_send_set_addr(sqe, addr, addrlen);
}
#endif
`;

/** Applies a profile's source patches to the copied worker/ sources. */
function applyPatches(srcDir, patches) {
  for (const { file, find, replace, count, sha256, content } of patches) {
    const target = path.join(srcDir, file);
    const text = fs.readFileSync(target, 'utf8');
    if (content !== undefined) {
      // A whole file replaced: only the upstream file it was written against.
      const found = createHash('sha256').update(text).digest('hex');
      if (found !== sha256) {
        throw new Error(
          `patch for ${file} replaces a file whose sha256 is ${sha256}, found ${found}: mediasoup changed?`,
        );
      }
      fs.writeFileSync(target, content);
      continue;
    }
    const found = text.split(find).length - 1;
    if (found !== count) {
      throw new Error(
        `patch for ${file} expects its text ${count} times, found ${found}: mediasoup changed?`,
      );
    }
    fs.writeFileSync(target, text.split(find).join(replace));
  }
}

function prepareSources(msDir, srcDir, prefixes, srtp, patches = []) {
  fs.cpSync(path.join(msDir, 'worker'), srcDir, { recursive: true });
  applyPatches(srcDir, patches);
  const sub = path.join(srcDir, 'subprojects');
  for (const f of fs.readdirSync(sub)) {
    if (f.endsWith('.wrap')) fs.rmSync(path.join(sub, f));
  }
  for (const [name, lines] of Object.entries(subprojectStubs(prefixes, srtp))) {
    const dir = path.join(sub, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'meson.build'),
      `project('${name}', 'c')\n${lines.join('\n')}\n`,
    );
    fs.writeFileSync(path.join(dir, 'empty.c'), '');
    const options = (STUB_OPTIONS[name] ?? []).map(
      (o) => `option('${o}', type: 'string', value: '', description: 'unused: Debian library')`,
    );
    fs.writeFileSync(path.join(dir, 'meson_options.txt'), `${options.join('\n')}\n`);
  }
  fs.writeFileSync(path.join(sub, 'libsrtp2', 'srtp.h'), SRTP_COMPAT_H);
  fs.writeFileSync(path.join(sub, 'liburing', 'liburing-compat.h'), LIBURING_COMPAT_H);

  const mesonBuild = path.join(srcDir, 'meson.build');
  const text = fs.readFileSync(mesonBuild, 'utf8');
  // Debian 12 has meson 1.0.1; nothing mediasoup's build uses needs 1.1.
  const patched = text.replace(/meson_version:\s*'>=\s*1\.1\.0'/, "meson_version: '>= 1.0.0'");
  fs.writeFileSync(mesonBuild, patched);
}

/** The crypto sources a profile builds from (Debian's libsrtp2 package needs none of its own). */
function sourcesOf(profile) {
  const names = PROFILES[profile].srtp === 'openssl' ? ['openssl', 'libsrtp'] : ['openssl'];
  return Object.fromEntries(names.map((n) => [n, WORKER_SOURCES[n]]));
}

/**
 * Where the worker binary built from these sources is cached: keyed by the
 * mediasoup version, the profile, and what goes into the binary (the sources'
 * upstream versions and sha256, the build recipe), so editing this script's
 * prose doesn't rebuild and two machines never share a key over other crypto.
 */
function cachePathFor(profile, sources) {
  const msDir = mediasoupPackageDir();
  const version = JSON.parse(fs.readFileSync(path.join(msDir, 'package.json'), 'utf8')).version;
  const buildInputs = JSON.stringify([
    PROFILES[profile].meson,
    subprojectStubs({ srtp: '<srtp>', openssl: '<openssl>' }, PROFILES[profile].srtp),
    Object.values(sources).map((s) => [s.package, s.upstream, s.sha256]),
    STUB_OPTIONS,
    SRTP_COMPAT_H,
    LIBURING_COMPAT_H,
    // Only profiles with patches add them: the others keep the keys they had.
    ...(PROFILES[profile].patches ? [PROFILES[profile].patches] : []),
  ]);
  const inputsHash = createHash('sha1').update(buildInputs).digest('hex').slice(0, 10);
  const name = PROFILES[profile].cacheName ?? profile;
  return path.join(cacheRoot(), `${version}-${name}-${inputsHash}`, 'mediasoup-worker');
}

/** Where the worker binary for a profile, built from the pinned sources, is cached. */
export function cachedWorkerPath(profile) {
  return cachePathFor(profile, sourcesOf(profile));
}

/** Downloads (or takes from AMPHI_WORKER_SOURCES) and verifies each source of a profile. */
function fetchSources(profile, workDir) {
  const pins = Object.entries(sourcesOf(profile));
  const local = pins.map(([, pin]) => localSource(pin, process.env.AMPHI_WORKER_SOURCES));
  const archives = new Map();
  const archive = (suites) => {
    const key = suites.join(' ');
    if (!archives.has(key)) {
      archives.set(
        key,
        new DebianSourceArchive(path.join(workDir, `apt-${archives.size}`), suites),
      );
    }
    return archives.get(key);
  };
  return Object.fromEntries(
    pins.map(([name, pin], i) => [
      name,
      local[i] ?? resolveSource(pin, archive(pin.suites), path.join(workDir, 'sources'), { log }),
    ]),
  );
}

async function build(profile, sources, workDir, outDir) {
  const msDir = mediasoupPackageDir();
  const prefixes = {
    srtp: path.join(workDir, 'srtp'),
    openssl: path.join(workDir, 'openssl-static'),
  };
  const srcDir = path.join(workDir, 'worker');
  const buildDir = path.join(workDir, 'build');
  const { meson, srtp, patches } = PROFILES[profile];
  await buildOpenssl(sources.openssl, workDir, prefixes.openssl);
  if (srtp === 'openssl') {
    await buildLibsrtp(sources.libsrtp, workDir, prefixes.srtp, prefixes.openssl);
  }
  prepareSources(msDir, srcDir, prefixes, srtp, patches);
  log(`configuring (${profile}: ${meson.join(' ')}, ${srtp} libsrtp)`);
  await run('meson', ['setup', '--wrap-mode=nodownload', ...meson, buildDir, srcDir], {});
  log(`compiling mediasoup-worker on ${os.availableParallelism()} cores; this takes minutes`);
  // libwebrtc includes the generated FBS headers but does not depend on their
  // target (the upstream flatbuffers subproject orders it): generate them first.
  await run('ninja', ['-C', buildDir, 'fbs/FBS']);
  await run('ninja', ['-C', buildDir, 'mediasoup-worker'], { progress: ninjaProgress() });
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(path.join(buildDir, 'mediasoup-worker'), path.join(outDir, 'mediasoup-worker'));
  fs.chmodSync(path.join(outDir, 'mediasoup-worker'), 0o755);
}

/**
 * Returns the path of the cached worker binary for a profile, building it when
 * missing. Throws WorkerBuildError (one clear message) when it cannot.
 */
export async function ensureWorker(profile) {
  const pinnedBin = cachedWorkerPath(profile);
  if (fs.existsSync(pinnedBin)) return pinnedBin;

  fs.mkdirSync(cacheRoot(), { recursive: true });
  removeStaleBuilds();
  const workDir = fs.mkdtempSync(path.join(cacheRoot(), `.build-${profile}-`));
  try {
    ensureDebianPackages([
      ...BUILD_PACKAGES,
      ...(PROFILES[profile].srtp === 'debian' ? ['libsrtp2-dev'] : []),
    ]);
    const sources = fetchSources(profile, workDir);
    const bin = cachePathFor(profile, sources);
    // A stand-in source built before on this machine: same bytes, same key.
    if (fs.existsSync(bin)) return bin;
    const outDir = path.dirname(bin);
    log(
      `building mediasoup-worker ${path.basename(outDir)} from the mediasoup package's worker/ sources`,
    );
    const started = Date.now();
    await build(profile, sources, workDir, outDir);
    const seconds = Math.round((Date.now() - started) / 1000);
    // What went into the binary, for whoever wonders which crypto it runs.
    const record = {
      profile,
      sources: Object.values(sources).map(({ file, ...s }) => s),
      builtAt: new Date().toISOString(),
      buildSeconds: seconds,
      cores: os.availableParallelism(),
    };
    fs.writeFileSync(path.join(outDir, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
    log(`built in ${seconds} s: ${bin}`);
    return bin;
  } catch (err) {
    throw new WorkerBuildError(profile, err);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Work folders of builds that were killed (a day old: no build runs that long). */
function removeStaleBuilds() {
  for (const f of fs.readdirSync(cacheRoot())) {
    const dir = path.join(cacheRoot(), f);
    if (f.startsWith('.build-') && Date.now() - fs.statSync(dir).mtimeMs > 24 * 3600_000) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** A worker that could not be built: its message says why and what to do. */
export class WorkerBuildError extends Error {
  constructor(profile, cause) {
    super(
      `the ${profile} mediasoup worker could not be built: ${cause instanceof Error ? cause.message : String(cause)}\n` +
        `It builds on Debian 12 as root (or with passwordless sudo), with Debian's archive reachable for ` +
        `${BUILD_PACKAGES.join(', ')} and the OpenSSL and libsrtp sources. Elsewhere: build it on such a ` +
        'machine (node scripts/mediasoup-worker.mjs --print-path) and set MEDIASOUP_WORKER_BIN to the binary.',
      { cause },
    );
    this.name = 'WorkerBuildError';
  }
}

/** Puts the binary where mediasoup looks for it (worker/out/Release), so no env is needed. */
function linkIntoPackage(bin) {
  const target = path.join(mediasoupPackageDir(), 'worker', 'out', 'Release', 'mediasoup-worker');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { force: true });
  fs.symlinkSync(bin, target);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (process.env.MEDIASOUP_WORKER_BIN) {
    log('MEDIASOUP_WORKER_BIN is set: using that binary, nothing to build');
    return;
  }
  const bin = await ensureWorker(args.profile);
  log(`${args.profile} worker: ${bin}`);
  if (args.link) linkIntoPackage(bin);
  if (args.printPath) process.stdout.write(`${bin}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    log(`FAILED: ${err.message}`);
    process.exit(1);
  });
}
