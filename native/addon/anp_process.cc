// anp_process.cc: what the worker does to its own process that Node has no API for.
//
// setDumpable(false) calls prctl(PR_SET_DUMPABLE, 0): a process of the same uid can then neither ptrace
// the worker nor open /proc/<pid>/mem, and no core file is written, so the generation key, the database
// password and the verified-credential cache stay out of reach of httpd's User even when the worker runs
// as that user. tracerPid() reads TracerPid from /proc/self/status: a tracer that attached before
// setDumpable ran would keep its access, so the worker checks there is none after the call.
// relayOutput(prefix) keeps handler output from forging error-log lines: fds 1 and 2 become a pipe, and a
// native thread (which runs even while the event loop is blocked, so a handler that prints a lot cannot
// deadlock the worker on its own pipe) writes each line to the saved log fd behind `prefix`, with control
// characters and backslashes escaped. The worker's own logger writes to the returned fd directly.
#include "anp_process.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace anp {
namespace {

Napi::Error CodedError(Napi::Env env, const char *code, const std::string &message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// setDumpable(on: boolean): void
Napi::Value SetDumpable(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    Napi::TypeError::New(env, "setDumpable(on: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (prctl(PR_SET_DUMPABLE, info[0].As<Napi::Boolean>().Value() ? 1 : 0, 0, 0, 0) != 0) {
    int saved = errno;
    CodedError(env, "E_PRCTL", std::string("prctl(PR_SET_DUMPABLE): ") + std::strerror(saved)).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// isDumpable(): boolean
Napi::Value IsDumpable(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1);
}

// tracerPid(): number, the TracerPid line of /proc/self/status (0: not traced)
Napi::Value TracerPid(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("TracerPid:", 0) == 0) {
      return Napi::Number::New(env, std::strtod(line.c_str() + 10, nullptr));
    }
  }
  CodedError(env, "E_PROC", "/proc/self/status has no TracerPid line").ThrowAsJavaScriptException();
  return env.Undefined();
}

// Appends `byte` to `out`, escaped the way httpd's ap_escape_logitem does for control characters.
void AppendEscaped(std::string &out, unsigned char byte) {
  static const char hex[] = "0123456789abcdef";
  if (byte == '\\') {
    out += "\\\\";
  } else if (byte < 0x20 || byte == 0x7f) {
    out += "\\x";
    out += hex[byte >> 4];
    out += hex[byte & 0x0f];
  } else {
    out += static_cast<char>(byte);
  }
}

void WriteAll(int fd, const std::string &text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the log is gone: nothing better to do with the output than drop it
    done += static_cast<size_t>(n);
  }
}

// The relay thread: reads the pipe until every writer has closed it, one prefixed line per input line.
// A line longer than kMaxLine is cut, and each piece gets the prefix, so no input makes a line unprefixed.
void Relay(int read_fd, int log_fd, std::string prefix) {
  const size_t kMaxLine = 4096;
  std::string line = prefix;
  char buf[4096];
  for (;;) {
    ssize_t n = read(read_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      unsigned char byte = static_cast<unsigned char>(buf[i]);
      if (byte == '\n' || line.size() - prefix.size() >= kMaxLine) {
        WriteAll(log_fd, line + "\n");
        line = prefix;
        if (byte == '\n') continue;
      }
      AppendEscaped(line, byte);
    }
  }
  if (line.size() > prefix.size()) WriteAll(log_fd, line + "\n");
  close(read_fd);
}

// relayOutput(prefix: string): number, the log fd (the old fd 2, close-on-exec)
Napi::Value RelayOutput(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "relayOutput(prefix: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int pipe_fds[2];
  int log_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
  if (log_fd < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    int saved = errno;
    if (log_fd >= 0) close(log_fd);
    CodedError(env, "E_RELAY", std::string("relayOutput: ") + std::strerror(saved)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (dup2(pipe_fds[1], 1) < 0 || dup2(pipe_fds[1], 2) < 0) {
    int saved = errno;
    dup2(log_fd, 2);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close(log_fd);
    CodedError(env, "E_RELAY", std::string("relayOutput: dup2: ") + std::strerror(saved)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  close(pipe_fds[1]);
  std::thread(Relay, pipe_fds[0], log_fd, info[0].As<Napi::String>().Utf8Value()).detach();
  return Napi::Number::New(env, log_fd);
}

}  // namespace

void RegisterProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("setDumpable", Napi::Function::New(env, SetDumpable, "setDumpable"));
  exports.Set("isDumpable", Napi::Function::New(env, IsDumpable, "isDumpable"));
  exports.Set("tracerPid", Napi::Function::New(env, TracerPid, "tracerPid"));
  exports.Set("relayOutput", Napi::Function::New(env, RelayOutput, "relayOutput"));
}

}  // namespace anp
