// anp_process.h: the addon's process functions (anp_process.cc), registered by anp_addon.cc's Init.
#ifndef ANP_PROCESS_H
#define ANP_PROCESS_H

#include <napi.h>

namespace anp {
void RegisterProcess(Napi::Env env, Napi::Object exports);
}

#endif
