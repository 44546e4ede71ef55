// anp_process.cc: what the worker does to its own process that Node has no API for.
//
// setDumpable(false) calls prctl(PR_SET_DUMPABLE, 0): a process of the same uid can then neither ptrace
// the worker nor open /proc/<pid>/mem, and no core file is written, so the generation key, the database
// password and the verified-credential cache stay out of reach of httpd's User even when the worker runs
// as that user. tracerPid() reads TracerPid from /proc/self/status: a tracer that attached before
// setDumpable ran would keep its access, so the worker checks there is none after the call.
// relayOutput(stdoutPrefix, stderrPrefix) keeps handler output from forging error-log lines: fds 1 and 2
// each become a pipe, and a native thread per pipe (which runs even while the event loop is blocked, so a
// handler that prints a lot cannot deadlock the worker on its own pipe) writes each line to the saved log
// fd behind httpd's time stamp and its prefix, with control characters and backslashes escaped. The
// worker's own logger writes to the returned fd directly.
#include "anp_process.h"

#include <cerrno>
#include <cstring>
#include <ctime>
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

// "[Sun Dec 06 03:06:32.869562 2026] ": now, as httpd's %{u}t prints it (local time, English names
// whatever the locale), so a relayed line reads like the worker's own and httpd's.
std::string HttpdStamp() {
  static const char *const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct timespec now;
  struct tm tm;
  char out[64];
  clock_gettime(CLOCK_REALTIME, &now);
  if (localtime_r(&now.tv_sec, &tm) == nullptr) return "[] ";
  snprintf(out, sizeof(out), "[%s %s %02d %02d:%02d:%02d.%06ld %d] ", kDays[tm.tm_wday], kMonths[tm.tm_mon], tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000, tm.tm_year + 1900);
  return out;
}

// The relay thread: reads the pipe until every writer has closed it, one stamped, prefixed line per input
// line. A line longer than kMaxLine is cut, and each piece gets the prefix, so no input makes a line
// unprefixed.
void Relay(int read_fd, int log_fd, std::string prefix) {
  const size_t kMaxLine = 4096;
  std::string line;
  char buf[4096];
  for (;;) {
    ssize_t n = read(read_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      unsigned char byte = static_cast<unsigned char>(buf[i]);
      if (byte == '\n' || line.size() >= kMaxLine) {
        WriteAll(log_fd, HttpdStamp() + prefix + line + "\n");
        line.clear();
        if (byte == '\n') continue;
      }
      AppendEscaped(line, byte);
    }
  }
  if (!line.empty()) WriteAll(log_fd, HttpdStamp() + prefix + line + "\n");
  close(read_fd);
}

void CloseAll(int out_fds[2], int err_fds[2], int log_fd) {
  for (int fd : {out_fds[0], out_fds[1], err_fds[0], err_fds[1], log_fd}) {
    if (fd >= 0) close(fd);
  }
}

// relayOutput(stdoutPrefix: string, stderrPrefix: string): number, the log fd (the old fd 2, close-on-exec)
Napi::Value RelayOutput(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "relayOutput(stdoutPrefix: string, stderrPrefix: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int out_fds[2] = {-1, -1}, err_fds[2] = {-1, -1};
  int log_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
  if (log_fd < 0 || pipe2(out_fds, O_CLOEXEC) != 0 || pipe2(err_fds, O_CLOEXEC) != 0) {
    int saved = errno;
    CloseAll(out_fds, err_fds, log_fd);
    CodedError(env, "E_RELAY", std::string("relayOutput: ") + std::strerror(saved)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (dup2(out_fds[1], 1) < 0 || dup2(err_fds[1], 2) < 0) {
    int saved = errno;
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    CloseAll(out_fds, err_fds, log_fd);
    CodedError(env, "E_RELAY", std::string("relayOutput: dup2: ") + std::strerror(saved)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  close(out_fds[1]);
  close(err_fds[1]);
  std::thread(Relay, out_fds[0], log_fd, info[0].As<Napi::String>().Utf8Value()).detach();
  std::thread(Relay, err_fds[0], log_fd, info[1].As<Napi::String>().Utf8Value()).detach();
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
