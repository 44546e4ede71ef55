// anp_crypt.cc: the system's crypt(3) (libxcrypt) for Django's CryptPasswordHasher.
//
// Django verifies a `crypt$$<hash>` value by calling Python's crypt.crypt(password, hash), which is the C
// library's crypt_r, and comparing the result with the stored hash. Which methods exist ($1$, $5$, $6$, $y$,
// $2b$, traditional DES...) and what each makes of odd settings is libxcrypt's business, so the worker
// calls the same library instead of re-implementing any of them: the verdict is the one Django gets on this
// machine.
//
// crypt(phrase: Buffer, setting: Buffer): Promise<Buffer | null> runs crypt_rn on libuv's thread pool (the
// hashing threads, whose niceness lowerPoolPriority sets), with a crypt_data of its own per call, so calls
// on several threads never share state. It resolves with crypt's output, or null when crypt failed: a null
// result or one of libxcrypt's failure tokens ("*0", "*1"), which begin with '*' and which no method's output
// does. A phrase or setting with a NUL byte throws a TypeError at once: C would see only the part before it
// (Python refuses such strings too). The copies of the phrase and crypt_data, which holds another copy and
// the method's state, are wiped before the memory is freed.
// cryptMaxPassphrase is CRYPT_MAX_PASSPHRASE_SIZE: libxcrypt refuses phrases of that many bytes or more.
#include "anp_crypt.h"

#include <crypt.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace anp {
namespace {

// A NUL-terminated copy of a Buffer that is wiped when it goes.
class WipedString {
 public:
  explicit WipedString(const Napi::Buffer<uint8_t> &buffer) : bytes_(buffer.Data(), buffer.Data() + buffer.Length()) {
    bytes_.push_back('\0');
  }
  WipedString(const WipedString &) = delete;
  WipedString &operator=(const WipedString &) = delete;
  ~WipedString() { explicit_bzero(bytes_.data(), bytes_.size()); }
  const char *c_str() const { return reinterpret_cast<const char *>(bytes_.data()); }

 private:
  std::vector<uint8_t> bytes_;
};

class CryptWorker : public Napi::AsyncWorker {
 public:
  CryptWorker(Napi::Env env, const Napi::Buffer<uint8_t> &phrase, const Napi::Buffer<uint8_t> &setting)
      : Napi::AsyncWorker(env, "anp_crypt"), deferred_(Napi::Promise::Deferred::New(env)), phrase_(phrase),
        setting_(setting) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    // crypt_rn wants the structure zeroed before its first use; it is too large for a pool thread's stack.
    auto *data = static_cast<struct crypt_data *>(std::calloc(1, sizeof(struct crypt_data)));
    if (data == nullptr) {
      SetError("crypt: out of memory");
      return;
    }
    const char *out = crypt_rn(phrase_.c_str(), setting_.c_str(), data, static_cast<int>(sizeof(*data)));
    ok_ = out != nullptr && out[0] != '*';
    if (ok_) output_.assign(out);
    explicit_bzero(data, sizeof(*data));
    std::free(data);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(env.Null());
      return;
    }
    deferred_.Resolve(Napi::Buffer<char>::Copy(env, output_.data(), output_.size()));
  }

  void OnError(const Napi::Error &error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  WipedString phrase_;
  WipedString setting_;
  bool ok_ = false;
  std::string output_;
};

bool HasNul(const Napi::Buffer<uint8_t> &buffer) {
  return std::memchr(buffer.Data(), '\0', buffer.Length()) != nullptr;
}

// crypt(phrase: Buffer, setting: Buffer): Promise<Buffer | null>
Napi::Value Crypt(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "crypt(phrase: Buffer, setting: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> phrase = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> setting = info[1].As<Napi::Buffer<uint8_t>>();
  if (HasNul(phrase) || HasNul(setting)) {
    Napi::TypeError::New(env, "crypt: the phrase and the setting must not contain a NUL byte")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto *worker = new CryptWorker(env, phrase, setting);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterCrypt(Napi::Env env, Napi::Object exports) {
  exports.Set("crypt", Napi::Function::New(env, Crypt, "crypt"));
  exports.Set("cryptMaxPassphrase", Napi::Number::New(env, CRYPT_MAX_PASSPHRASE_SIZE));
}

}  // namespace anp
