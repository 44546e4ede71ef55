// anp_crypt.h: the addon's crypt(3) (anp_crypt.cc), registered by anp_addon.cc's Init.
#ifndef ANP_CRYPT_H
#define ANP_CRYPT_H

#include <napi.h>

namespace anp {
void RegisterCrypt(Napi::Env env, Napi::Object exports);
}

#endif
