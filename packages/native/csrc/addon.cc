// Node-API glue: exposes FanotifyCore as the `Listener` class and `landlockAbi()`. No policy lives here.
#include <napi.h>

#include <memory>

#include "compat.h"
#include "fanotify-core.h"
#include "sd-notify.h"

namespace {

using omamori::Event;
using omamori::FanotifyCore;

class Listener;
void CallJs(Napi::Env env, Napi::Function fn, Listener *self, Event *ev);
using Tsfn = Napi::TypedThreadSafeFunction<Listener, Event, CallJs>;

uint32_t U32(const Napi::Object &o, const char *key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
}
bool Bool(const Napi::Object &o, const char *key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}

class Listener : public Napi::ObjectWrap<Listener> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Listener",
                       {InstanceMethod("start", &Listener::Start), InstanceMethod("respond", &Listener::Respond),
                        InstanceMethod("setSubjectClass", &Listener::SetSubjectClass),
                        InstanceMethod("clearSubjectClass", &Listener::ClearSubjectClass),
                        InstanceMethod("clearCache", &Listener::ClearCache),
                        InstanceMethod("stats", &Listener::Stats), InstanceMethod("stop", &Listener::Stop)});
  }

  // new Listener({ paths, filesystemMark, openEvents, openFilter: 0|1, timeoutMs, failMode: 0|1, maxPending,
  //                cacheCapacity, ignoreOwnChildren }) — validated by src/fanotify.ts.
  explicit Listener(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Listener>(info) {
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Array paths = o.Get("paths").As<Napi::Array>();
    for (uint32_t i = 0; i < paths.Length(); i++) opts_.paths.push_back(paths.Get(i).As<Napi::String>());
    opts_.filesystem_mark = Bool(o, "filesystemMark", false);
    opts_.open_events = Bool(o, "openEvents", false);
    opts_.open_filter = static_cast<omamori::OpenFilter>(U32(o, "openFilter", 1));
    opts_.timeout_ms = U32(o, "timeoutMs", 200);
    opts_.fail_mode = static_cast<omamori::FailMode>(U32(o, "failMode", 1));
    opts_.max_pending = U32(o, "maxPending", 1024);
    opts_.cache_capacity = U32(o, "cacheCapacity", 65536);
    opts_.ignore_own_children = Bool(o, "ignoreOwnChildren", true);
    opts_.open_ignore_marks = Bool(o, "openIgnoreMarks", false);
    napi_add_env_cleanup_hook(info.Env(), &Listener::Cleanup, this);
  }
  ~Listener() override {
    napi_remove_env_cleanup_hook(Env(), &Listener::Cleanup, this);
    core_.Stop();
  }

  FanotifyCore &core() { return core_; }

 private:
  static void Cleanup(void *arg) { static_cast<Listener *>(arg)->core_.Stop(); }

  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (started_) throw Napi::Error::New(env, "listener already started");
    tsfn_ = Tsfn::New(env, info[0].As<Napi::Function>(), "omamori-fanotify", opts_.max_pending, 1, this);
    Tsfn tsfn = tsfn_;
    std::string err = core_.Start(opts_, [tsfn](Event *ev) mutable {
      return tsfn.NonBlockingCall(ev) == napi_ok;  // napi_queue_full / napi_closing -> caller answers
    });
    if (!err.empty()) {
      tsfn_.Release();
      throw Napi::Error::New(env, err);
    }
    started_ = true;
    Ref();  // stay alive while the thread runs
    return env.Undefined();
  }

  Napi::Value Respond(const Napi::CallbackInfo &info) {
    uint64_t id = (uint64_t)info[0].As<Napi::Number>().Int64Value();
    bool ok = core_.Respond(id, info[1].ToBoolean(), info[2].ToBoolean(), info.Length() > 3 && info[3].ToBoolean());
    return Napi::Boolean::New(info.Env(), ok);
  }

  Napi::Value SetSubjectClass(const Napi::CallbackInfo &info) {
    bool ok = core_.SetSubjectClass(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Uint32Value());
    return Napi::Boolean::New(info.Env(), ok);
  }

  Napi::Value ClearSubjectClass(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), core_.ClearSubjectClass(info[0].As<Napi::Number>().Int32Value()));
  }

  Napi::Value ClearCache(const Napi::CallbackInfo &info) {
    core_.ClearCache();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    omamori::StatsSnapshot s = core_.Stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("events", (double)s.events);
    o.Set("allowed", (double)s.allowed);
    o.Set("denied", (double)s.denied);
    o.Set("cacheHits", (double)s.cache_hits);
    o.Set("timeouts", (double)s.timeouts);
    o.Set("drops", (double)s.drops);
    o.Set("filtered", (double)s.filtered);
    o.Set("selfIgnored", (double)s.self_ignored);
    o.Set("lateResponses", (double)s.late_responses);
    o.Set("ignoreMarks", (double)s.ignore_marks);
    o.Set("queueDepth", (double)s.queue_depth);
    o.Set("cacheSize", (double)s.cache_size);
    o.Set("subjects", (double)s.subject_count);
    o.Set("running", core_.Running());
    return o;
  }

  Napi::Value Stop(const Napi::CallbackInfo &info) {
    core_.Stop();  // joins the thread: no Forward after this line
    if (started_) {
      started_ = false;
      tsfn_.Release();
      Unref();
    }
    return info.Env().Undefined();
  }

  omamori::Options opts_;
  FanotifyCore core_;
  Tsfn tsfn_;
  bool started_ = false;
};

// Runs on the JS thread. Events already answered (timeout, stop) while queued are not delivered.
void CallJs(Napi::Env env, Napi::Function fn, Listener *self, Event *ev) {
  std::unique_ptr<Event> owned(ev);
  if (env == nullptr || fn.IsEmpty() || !self->core().IsPending(ev->id)) return;
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", (double)ev->id);
  o.Set("pid", ev->pid);
  o.Set("kind", ev->kind == omamori::EventKind::Exec ? "exec" : "open");
  o.Set("subjectClass", ev->subject_class);
  o.Set("path", ev->path);
  o.Set("dev", (double)ev->st.st_dev);
  o.Set("ino", Napi::BigInt::New(env, (uint64_t)ev->st.st_ino));
  o.Set("mode", (double)ev->st.st_mode);
  o.Set("uid", (double)ev->st.st_uid);
  o.Set("gid", (double)ev->st.st_gid);
  o.Set("size", (double)ev->st.st_size);
  o.Set("nlink", (double)ev->st.st_nlink);
  auto ns = [](const struct timespec &t) { return (int64_t)((int64_t)t.tv_sec * 1000000000ll + t.tv_nsec); };
  o.Set("ctimeNs", Napi::BigInt::New(env, static_cast<int64_t>(ns(ev->st.st_ctim))));
  o.Set("mtimeNs", Napi::BigInt::New(env, static_cast<int64_t>(ns(ev->st.st_mtim))));
  try {
    fn.Call({o});
  } catch (const Napi::Error &e) {
    e.ThrowAsJavaScriptException();  // surfaces as an uncaught exception; src/fanotify.ts catches first
  }
}

Napi::Value LandlockAbi(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), om_landlock_abi()); }

// sdNotify(socketPath, state) → 1 sent, or -errno (csrc/sd-notify.c).
Napi::Value SdNotify(const Napi::CallbackInfo &info) {
  std::string path = info[0].As<Napi::String>(), state = info[1].As<Napi::String>();
  return Napi::Number::New(info.Env(), om_sd_notify(path.c_str(), state.c_str()));
}

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("Listener", Listener::Init(env));
  exports.Set("landlockAbi", Napi::Function::New(env, LandlockAbi));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify));
  return exports;
}

}  // namespace

NODE_API_MODULE(omamori_native, InitAll)
