#pragma once
// The worker's logging macros as no-ops: send_time_history_check.cc builds
// libwebrtc's SendTimeHistory (upstream and Amphi's) without the worker.
#include <cinttypes>
#define MS_TRACE()
#define MS_WARN_TAG(...)
#define MS_WARN_DEV(...)
#define MS_DEBUG_DEV(...)
#define MS_DEBUG_TAG(...)
#define MS_ERROR(...)
#define MS_ABORT(...) abort()
#define MS_ASSERT(c, ...) if (!(c)) abort()
#define MS_DUMP(...)
