// anp_generations_js.cc: the generations table (native/anp_generations.c) for the worker.
//
// The worker writes the table that httpd's children read, through the same C that the module reads it
// with, so the layout and the atomics are written once. A table is an External holding the mapping; the
// mapping goes when the External is collected or closed.
//   generationsMap(fd: number, writable: boolean): External     (throws an Error with code and errno's words)
//   generationsInfo(t): { slots, epoch: bigint, lease: bigint }
//   generationsSlot(t, slot): bigint
//   generationsBumpSlot(t, slot): bigint        the slot's new generation
//   generationsBumpEpoch(t): bigint             the new epoch
//   generationsSetLease(t, untilNs: bigint)
//   generationsCurrent(t, epoch: bigint, slot, generation: bigint, nowNs: bigint): boolean  (the children's rule)
//   generationsNow(): bigint                    CLOCK_MONOTONIC, the lease's clock
//   generationsClose(t)
#include "anp_generations_js.h"

#include <cerrno>
#include <cstring>
#include <string>

extern "C" {
#include "anp_generations.h"
}

namespace anp {
namespace {

using Table = Napi::External<anp_generations>;

void Finalize(Napi::Env, anp_generations *g) {
  anp_generations_unmap(g);
  delete g;
}

// The table in argument 0, or null with a TypeError pending; `write`: it must be the worker's mapping.
anp_generations *TableArg(const Napi::CallbackInfo &info, bool write) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "a generations table is required").ThrowAsJavaScriptException();
    return nullptr;
  }
  anp_generations *g = info[0].As<Table>().Data();
  if (g->words == nullptr || (write && !g->writable)) {
    Napi::TypeError::New(info.Env(), write ? "the table is closed or read-only" : "the table is closed")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  return g;
}

bool SlotArg(const Napi::CallbackInfo &info, size_t index, const anp_generations *g, uint32_t *slot) {
  if (info.Length() <= index || !info[index].IsNumber()) {
    Napi::TypeError::New(info.Env(), "slot must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < g->slots) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    Napi::RangeError::New(info.Env(), "slot out of range").ThrowAsJavaScriptException();
    return false;
  }
  *slot = static_cast<uint32_t>(d);
  return true;
}

bool U64Arg(const Napi::CallbackInfo &info, size_t index, const char *what, uint64_t *out) {
  bool lossless = false;
  if (info.Length() <= index || !info[index].IsBigInt()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a bigint").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[index].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(info.Env(), std::string(what) + " out of range").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Value Map(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "generationsMap(fd: number, writable: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto *g = new anp_generations();
  const char *what = "";
  int rv = anp_generations_map(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Boolean>().Value(), g, &what);
  if (rv != 0) {
    delete g;
    Napi::Error err = Napi::Error::New(env, std::string("generations table: ") + what + ": " + std::strerror(rv));
    err.Set("code", Napi::String::New(env, rv == EINVAL ? "EINVAL" : "ERRNO"));
    err.Set("errno", Napi::Number::New(env, rv));
    err.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Table::New(env, g, Finalize);
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, false);
  if (g == nullptr) return info.Env().Undefined();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("slots", Napi::Number::New(info.Env(), g->slots));
  out.Set("epoch", Napi::BigInt::New(info.Env(), anp_generations_epoch(g)));
  out.Set("lease", Napi::BigInt::New(info.Env(), anp_generations_lease(g)));
  return out;
}

Napi::Value Slot(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, false);
  uint32_t slot = 0;
  if (g == nullptr || !SlotArg(info, 1, g, &slot)) return info.Env().Undefined();
  return Napi::BigInt::New(info.Env(), anp_generations_slot(g, slot));
}

Napi::Value BumpSlot(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, true);
  uint32_t slot = 0;
  if (g == nullptr || !SlotArg(info, 1, g, &slot)) return info.Env().Undefined();
  return Napi::BigInt::New(info.Env(), anp_generations_bump_slot(g, slot));
}

Napi::Value BumpEpoch(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, true);
  if (g == nullptr) return info.Env().Undefined();
  return Napi::BigInt::New(info.Env(), anp_generations_bump_epoch(g));
}

Napi::Value SetLease(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, true);
  uint64_t until = 0;
  if (g == nullptr || !U64Arg(info, 1, "lease", &until)) return info.Env().Undefined();
  anp_generations_set_lease(g, until);
  return info.Env().Undefined();
}

Napi::Value Current(const Napi::CallbackInfo &info) {
  anp_generations *g = TableArg(info, false);
  anp_generation_stamp stamp = {0, 0, 0};
  uint64_t now = 0;
  if (g == nullptr || !U64Arg(info, 1, "epoch", &stamp.epoch) || !SlotArg(info, 2, g, &stamp.slot) ||
      !U64Arg(info, 3, "generation", &stamp.generation) || !U64Arg(info, 4, "now", &now)) {
    return info.Env().Undefined();
  }
  return Napi::Boolean::New(info.Env(), anp_generations_current(g, &stamp, now) != 0);
}

Napi::Value Now(const Napi::CallbackInfo &info) {
  return Napi::BigInt::New(info.Env(), anp_generations_now());
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  if (info.Length() >= 1 && info[0].IsExternal()) anp_generations_unmap(info[0].As<Table>().Data());
  return info.Env().Undefined();
}

}  // namespace

void RegisterGenerations(Napi::Env env, Napi::Object exports) {
  exports.Set("generationsMap", Napi::Function::New(env, Map, "generationsMap"));
  exports.Set("generationsInfo", Napi::Function::New(env, Info, "generationsInfo"));
  exports.Set("generationsSlot", Napi::Function::New(env, Slot, "generationsSlot"));
  exports.Set("generationsBumpSlot", Napi::Function::New(env, BumpSlot, "generationsBumpSlot"));
  exports.Set("generationsBumpEpoch", Napi::Function::New(env, BumpEpoch, "generationsBumpEpoch"));
  exports.Set("generationsSetLease", Napi::Function::New(env, SetLease, "generationsSetLease"));
  exports.Set("generationsCurrent", Napi::Function::New(env, Current, "generationsCurrent"));
  exports.Set("generationsNow", Napi::Function::New(env, Now, "generationsNow"));
  exports.Set("generationsClose", Napi::Function::New(env, Close, "generationsClose"));
}

}  // namespace anp
