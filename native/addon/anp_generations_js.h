// anp_generations_js.h: the generations table for the worker (anp_generations_js.cc), registered by anp_addon.cc's Init.
#ifndef ANP_GENERATIONS_JS_H
#define ANP_GENERATIONS_JS_H

#include <napi.h>

namespace anp {
void RegisterGenerations(Napi::Env env, Napi::Object exports);
}

#endif
