// anp_addon.cc: the Node addon of mod_authnz_node.
//
// peerCredentials(fd) gives the worker the uid/gid/pid of a Unix socket's peer (SO_PEERCRED), which
// Node has no API for; the worker refuses connections from users other than httpd's.
// encode()/decode() expose native/anp_protocol.c, the module's own codec, so tests can hold it to the
// TypeScript codec byte for byte (test/unit/protocol-vectors.test.ts).
// foldGroupMatches/foldUnaskedPermission/foldPermissionLine/foldPermissions expose native/anp_fold.c, the
// module's rules of the one-trip fold, so test/unit/fold-vectors-c.test.ts holds them to
// test/vectors/fold.json, as the TypeScript fold is held to it.
// lowerPoolPriority(threads, niceness) raises the niceness of libuv's thread pool threads, where every
// password hash runs, so that a flood of wrong passwords yields the CPU to the serving path (Node has no
// per-thread priority API, and the pool's threads are not told apart from V8's by anything in /proc).
// siphash128(key, parts) exposes native/anp_siphash.c, with which the module and the worker prove the
// generation key to each other (docs/protocol.md, "Connection life"): one MAC, one implementation.
// setDumpable/isDumpable/tracerPid/relayOutput live in anp_process.cc, crypt (crypt(3) for Django's crypt
// hasher) in anp_crypt.cc.
#include <napi.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "anp_crypt.h"
#include "anp_generations_js.h"
#include "anp_fold.h"
#include "anp_process.h"
#include "anp_protocol.h"
#include "anp_siphash.h"

namespace {

const char *ResultCode(long rv) {
  switch (rv) {
    case ANP_E_SHORT:
      return "E_SHORT";
    case ANP_E_TOO_LARGE:
      return "E_TOO_LARGE";
    case ANP_E_MALFORMED:
      return "E_MALFORMED";
    case ANP_E_NOSPACE:
      return "E_NOSPACE";
    default:
      return "E_UNKNOWN";
  }
}

Napi::Error CodedError(Napi::Env env, const std::string &code, const std::string &message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// A JS number that must be an integer in [0, max]; throws a TypeError otherwise.
bool ToBoundedInt(Napi::Env env, const Napi::Value &value, double max, const char *what, uint32_t *out) {
  if (!value.IsNumber()) {
    Napi::TypeError::New(env, std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    Napi::TypeError::New(env, std::string(what) + " out of range").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

// peerCredentials(fd: number): { uid, gid, pid }
Napi::Value PeerCredentials(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t fd = 0;
  if (info.Length() < 1 || !ToBoundedInt(env, info[0], 2147483647.0, "fd", &fd)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "fd is required").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  std::memset(&cred, 0, sizeof(cred));
  if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    int saved = errno;
    CodedError(env, "E_PEERCRED", std::string("getsockopt(SO_PEERCRED): ") + std::strerror(saved))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (len != sizeof(cred)) {
    CodedError(env, "E_PEERCRED", "getsockopt(SO_PEERCRED): short answer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("uid", Napi::Number::New(env, static_cast<double>(cred.uid)));
  out.Set("gid", Napi::Number::New(env, static_cast<double>(cred.gid)));
  out.Set("pid", Napi::Number::New(env, static_cast<double>(cred.pid)));
  return out;
}

// encode(kind: number, requestId: number, fields: {tag: number, value: Buffer}[]): Buffer
// Builds the frame with anp_writer; a codec error throws an Error whose code is E_TOO_LARGE,
// E_MALFORMED or E_NOSPACE.
Napi::Value Encode(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t kind = 0;
  uint32_t request_id = 0;
  if (info.Length() < 3 || !info[2].IsArray()) {
    Napi::TypeError::New(env, "encode(kind, requestId, fields[])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!ToBoundedInt(env, info[0], 255.0, "kind", &kind) ||
      !ToBoundedInt(env, info[1], 4294967295.0, "requestId", &request_id)) {
    return env.Undefined();
  }
  Napi::Array fields = info[2].As<Napi::Array>();
  std::vector<uint8_t> buf(ANP_MAX_FRAME_LEN + 4);
  anp_writer w;
  anp_writer_init(&w, buf.data(), buf.size(), static_cast<uint8_t>(kind), request_id);
  for (uint32_t i = 0; i < fields.Length(); i++) {
    Napi::Value item = fields.Get(i);
    if (!item.IsObject()) {
      Napi::TypeError::New(env, "each field must be {tag, value}").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object field = item.As<Napi::Object>();
    uint32_t tag = 0;
    if (!ToBoundedInt(env, field.Get("tag"), 255.0, "tag", &tag)) return env.Undefined();
    Napi::Value value = field.Get("value");
    if (!value.IsBuffer()) {
      Napi::TypeError::New(env, "field value must be a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> bytes = value.As<Napi::Buffer<uint8_t>>();
    anp_put_field(&w, static_cast<uint8_t>(tag), bytes.Data(), bytes.Length());
  }
  long rv = anp_writer_finish(&w);
  if (rv < 0) {
    CodedError(env, ResultCode(rv), std::string("anp_writer_finish: ") + ResultCode(rv)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, buf.data(), static_cast<size_t>(rv));
}

// decode(buf: Buffer): {size, message: {kind, requestId, fields}} | {error, kind, requestId}
// Decoding errors are returned, not thrown, so property tests can compare them cheaply.
Napi::Value Decode(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "decode(buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> input = info[0].As<Napi::Buffer<uint8_t>>();
  // anp_message holds ANP_MAX_FIELDS fields; keep it off the (small) addon stack.
  std::vector<anp_message> storage(1);
  anp_message *msg = storage.data();
  long rv = anp_decode(input.Data(), input.Length(), msg);
  Napi::Object out = Napi::Object::New(env);
  if (rv < 0) {
    out.Set("error", Napi::String::New(env, ResultCode(rv)));
    out.Set("kind", Napi::Number::New(env, msg->kind));
    out.Set("requestId", Napi::Number::New(env, static_cast<double>(msg->request_id)));
    return out;
  }
  Napi::Array fields = Napi::Array::New(env, msg->field_count);
  for (uint32_t i = 0; i < msg->field_count; i++) {
    Napi::Object field = Napi::Object::New(env);
    field.Set("tag", Napi::Number::New(env, msg->fields[i].tag));
    field.Set("value", Napi::Buffer<uint8_t>::Copy(env, msg->fields[i].value, msg->fields[i].len));
    fields.Set(i, field);
  }
  Napi::Object message = Napi::Object::New(env);
  message.Set("kind", Napi::Number::New(env, msg->kind));
  message.Set("requestId", Napi::Number::New(env, static_cast<double>(msg->request_id)));
  message.Set("fields", fields);
  out.Set("size", Napi::Number::New(env, static_cast<double>(rv)));
  out.Set("message", message);
  return out;
}

// tagAllowed(kind, tag): boolean — anp_tag_allowed, for the rules cross-check.
Napi::Value TagAllowed(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t kind = 0;
  uint32_t tag = 0;
  if (info.Length() < 2 || !ToBoundedInt(env, info[0], 255.0, "kind", &kind) ||
      !ToBoundedInt(env, info[1], 255.0, "tag", &tag)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "tagAllowed(kind, tag)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, anp_tag_allowed(static_cast<uint8_t>(kind), static_cast<uint8_t>(tag)) != 0);
}

// A JS array of strings as std::strings; false (with a TypeError thrown) for anything else.
bool ToStrings(Napi::Env env, const Napi::Value &value, const char *what, std::vector<std::string> *out) {
  if (!value.IsArray()) {
    Napi::TypeError::New(env, std::string(what) + " must be an array of strings").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) {
      Napi::TypeError::New(env, std::string(what) + " must be an array of strings").ThrowAsJavaScriptException();
      return false;
    }
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

// The C view of strings: pointers that live as long as `strings`.
std::vector<const char *> Pointers(const std::vector<std::string> &strings) {
  std::vector<const char *> out;
  for (const std::string &s : strings) out.push_back(s.c_str());
  return out;
}

// foldGroupMatches(userGroups: string[], wanted: string[]): boolean — anp_fold_group_matches.
Napi::Value FoldGroupMatches(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<std::string> groups, wanted;
  if (info.Length() < 2 || !ToStrings(env, info[0], "userGroups", &groups) ||
      !ToStrings(env, info[1], "wanted", &wanted)) {
    return env.Undefined();
  }
  std::vector<const char *> g = Pointers(groups), w = Pointers(wanted);
  return Napi::Boolean::New(env, anp_fold_group_matches(g.data(), g.size(), w.data(), w.size()) != 0);
}

// foldUnaskedPermission(asked: string[], held: string[]): string | null — anp_fold_unasked_permission.
Napi::Value FoldUnaskedPermission(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<std::string> asked, held;
  if (info.Length() < 2 || !ToStrings(env, info[0], "asked", &asked) || !ToStrings(env, info[1], "held", &held)) {
    return env.Undefined();
  }
  std::vector<const char *> a = Pointers(asked), h = Pointers(held);
  const char *unasked = anp_fold_unasked_permission(a.data(), a.size(), h.data(), h.size());
  return unasked ? Napi::String::New(env, unasked) : env.Null();
}

// foldPermissionLine(asked, held, line: string[]): "granted" | "denied" | "ask" — anp_fold_permission_line.
Napi::Value FoldPermissionLine(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<std::string> asked, held, line;
  if (info.Length() < 3 || !ToStrings(env, info[0], "asked", &asked) || !ToStrings(env, info[1], "held", &held) ||
      !ToStrings(env, info[2], "line", &line)) {
    return env.Undefined();
  }
  std::vector<const char *> a = Pointers(asked), h = Pointers(held), l = Pointers(line);
  switch (anp_fold_permission_line(a.data(), a.size(), h.data(), h.size(), l.data(), l.size())) {
    case ANP_FOLD_GRANTED:
      return Napi::String::New(env, "granted");
    case ANP_FOLD_DENIED:
      return Napi::String::New(env, "denied");
    default:
      return Napi::String::New(env, "ask");
  }
}

// foldPermissions(count, groupHandlerRides, sameHandler, groupHandlerConfigured): boolean — anp_fold_permissions.
Napi::Value FoldPermissions(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t count = 0;
  if (info.Length() < 4 || !ToBoundedInt(env, info[0], 4294967295.0, "count", &count) || !info[1].IsBoolean() ||
      !info[2].IsBoolean() || !info[3].IsBoolean()) {
    if (!env.IsExceptionPending()) {
      Napi::TypeError::New(env, "foldPermissions(count, rides, same, configured)").ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  int fold = anp_fold_permissions(count, info[1].As<Napi::Boolean>().Value(), info[2].As<Napi::Boolean>().Value(),
                                  info[3].As<Napi::Boolean>().Value());
  return Napi::Boolean::New(env, fold != 0);
}

// Where the pool tasks of one lowerPoolPriority call meet: each waits until all have started, so each
// runs on a thread of its own and every pool thread is reached once.
struct PoolRendezvous {
  std::mutex mutex;
  std::condition_variable all_started;
  uint32_t expected = 0;
  uint32_t started = 0;
  uint32_t finished = 0;
  std::vector<double> tids;
  std::string failure;
  Napi::Promise::Deferred deferred;
  explicit PoolRendezvous(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

// How long the tasks wait for each other: the pool is idle at worker startup, so this only runs out when
// `threads` is larger than the pool (or the pool is busy), and the call then fails instead of hanging.
constexpr auto kRendezvousWait = std::chrono::seconds(2);

class RenicePoolThread : public Napi::AsyncWorker {
 public:
  RenicePoolThread(Napi::Env env, std::shared_ptr<PoolRendezvous> rendezvous, int niceness)
      : Napi::AsyncWorker(env, "anp_renice_pool_thread"), rendezvous_(std::move(rendezvous)), niceness_(niceness) {}

  void Execute() override {
    std::unique_lock<std::mutex> lock(rendezvous_->mutex);
    rendezvous_->started++;
    rendezvous_->all_started.notify_all();
    if (!rendezvous_->all_started.wait_for(lock, kRendezvousWait,
                                           [this] { return rendezvous_->started >= rendezvous_->expected; })) {
      SetError("not every pool thread took a task in time (is the pool smaller than asked, or busy?)");
      return;
    }
    lock.unlock();
    // On Linux, PRIO_PROCESS with a thread id changes that thread alone.
    tid_ = static_cast<pid_t>(syscall(SYS_gettid));
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid_), niceness_) != 0) {
      SetError(std::string("setpriority: ") + std::strerror(errno));
    }
  }

  void OnOK() override { Finish(""); }
  void OnError(const Napi::Error &error) override { Finish(error.Message()); }

 private:
  void Finish(const std::string &failure) {
    PoolRendezvous &r = *rendezvous_;
    if (!failure.empty() && r.failure.empty()) r.failure = failure;
    if (failure.empty()) r.tids.push_back(static_cast<double>(tid_));
    if (++r.finished < r.expected) return;
    Napi::Env env = Env();
    if (!r.failure.empty()) {
      r.deferred.Reject(CodedError(env, "E_POOL_PRIORITY", r.failure).Value());
      return;
    }
    Napi::Array tids = Napi::Array::New(env, r.tids.size());
    for (size_t i = 0; i < r.tids.size(); i++) tids.Set(static_cast<uint32_t>(i), Napi::Number::New(env, r.tids[i]));
    r.deferred.Resolve(tids);
  }

  std::shared_ptr<PoolRendezvous> rendezvous_;
  int niceness_;
  pid_t tid_ = 0;
};

// lowerPoolPriority(threads, niceness): Promise<number[]> — the thread ids whose niceness was set.
Napi::Value LowerPoolPriority(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t threads = 0;
  uint32_t niceness = 0;
  if (info.Length() < 2 || !ToBoundedInt(env, info[0], 1024.0, "threads", &threads) ||
      !ToBoundedInt(env, info[1], 19.0, "niceness", &niceness) || threads == 0) {
    if (!env.IsExceptionPending()) {
      Napi::TypeError::New(env, "lowerPoolPriority(threads 1..1024, niceness 0..19)").ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }
  auto rendezvous = std::make_shared<PoolRendezvous>(env);
  rendezvous->expected = threads;
  for (uint32_t i = 0; i < threads; i++) {
    (new RenicePoolThread(env, rendezvous, static_cast<int>(niceness)))->Queue();
  }
  return rendezvous->deferred.Promise();
}

// siphash128(key: Buffer (16 bytes), parts: Buffer[]): Buffer (16 bytes), over the parts concatenated.
Napi::Value SipHash128(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsArray() ||
      info[0].As<Napi::Buffer<uint8_t>>().Length() != ANP_SIPHASH_KEY_LEN) {
    Napi::TypeError::New(env, "siphash128(key: 16-byte Buffer, parts: Buffer[])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array parts = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < parts.Length(); i++) {
    if (!parts.Get(i).IsBuffer()) {
      Napi::TypeError::New(env, "siphash128: each part must be a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  anp_siphash state;
  anp_siphash_init(&state, info[0].As<Napi::Buffer<uint8_t>>().Data());
  for (uint32_t i = 0; i < parts.Length(); i++) {
    Napi::Buffer<uint8_t> part = parts.Get(i).As<Napi::Buffer<uint8_t>>();
    anp_siphash_update(&state, part.Data(), part.Length());
  }
  Napi::Buffer<uint8_t> tag = Napi::Buffer<uint8_t>::New(env, ANP_SIPHASH_TAG_LEN);
  anp_siphash_final(&state, tag.Data());
  return tag;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("siphash128", Napi::Function::New(env, SipHash128, "siphash128"));
  anp::RegisterProcess(env, exports);
  anp::RegisterCrypt(env, exports);
  anp::RegisterGenerations(env, exports);
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials, "peerCredentials"));
  exports.Set("encode", Napi::Function::New(env, Encode, "encode"));
  exports.Set("decode", Napi::Function::New(env, Decode, "decode"));
  exports.Set("tagAllowed", Napi::Function::New(env, TagAllowed, "tagAllowed"));
  exports.Set("lowerPoolPriority", Napi::Function::New(env, LowerPoolPriority, "lowerPoolPriority"));
  exports.Set("foldGroupMatches", Napi::Function::New(env, FoldGroupMatches, "foldGroupMatches"));
  exports.Set("foldUnaskedPermission", Napi::Function::New(env, FoldUnaskedPermission, "foldUnaskedPermission"));
  exports.Set("foldPermissionLine", Napi::Function::New(env, FoldPermissionLine, "foldPermissionLine"));
  exports.Set("foldPermissions", Napi::Function::New(env, FoldPermissions, "foldPermissions"));
  exports.Set("protocolVersion", Napi::Number::New(env, ANP_PROTOCOL_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(anp_addon, Init)
