// Node-API glue: exposes FanotifyCore as the `Listener` class and `landlockAbi()`. No policy lives here.
#include <napi.h>

#include <memory>

#include "compat.h"
#include "fanotify-core.h"
#include "sd-notify.h"

namespace {

using omamori::Event;
using omamori::FailRecord;
using omamori::FanotifyCore;

class Listener;
void CallJs(Napi::Env env, Napi::Function fn, Listener *self, Event *ev);
void CallJsFail(Napi::Env env, Napi::Function fn, Listener *self, FailRecord *rec);
using Tsfn = Napi::TypedThreadSafeFunction<Listener, Event, CallJs>;
using FailTsfn = Napi::TypedThreadSafeFunction<Listener, FailRecord, CallJsFail>;

uint32_t U32(const Napi::Object &o, const char *key, uint32_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : dflt;
}
bool Bool(const Napi::Object &o, const char *key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : dflt;
}
std::vector<std::string> Strings(const Napi::Object &o, const char *key) {
  std::vector<std::string> out;
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>());
  return out;
}
const char *KindName(omamori::EventKind k) {
  return k == omamori::EventKind::Exec ? "exec" : k == omamori::EventKind::Open ? "open" : "interp";
}

class Listener : public Napi::ObjectWrap<Listener> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Listener",
                       {InstanceMethod("start", &Listener::Start), InstanceMethod("respond", &Listener::Respond),
                        InstanceMethod("read", &Listener::Read),
                        InstanceMethod("setFailSettings", &Listener::SetFailSettings),
                        InstanceMethod("addInterpreter", &Listener::AddInterpreter),
                        InstanceMethod("setFastExec", &Listener::SetFastExec),
                        InstanceMethod("setSubjectClass", &Listener::SetSubjectClass),
                        InstanceMethod("clearSubjectClass", &Listener::ClearSubjectClass),
                        InstanceMethod("clearCache", &Listener::ClearCache),
                        InstanceMethod("marks", &Listener::Marks),
                        InstanceMethod("stats", &Listener::Stats), InstanceMethod("stop", &Listener::Stop)});
  }

  // new Listener({ paths, filesystemMark, openEvents, openFilter: 0|1, timeoutMs, failMode: 0|1, maxPending,
  //                cacheCapacity, ignoreOwnChildren, openIgnoreMarks, follow: { all, beneath, skipTypes,
  //                execOnlyTypes, namespaces, source: 0..2 } }) — validated by src/fanotify.ts.
  explicit Listener(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Listener>(info) {
    Napi::Object o = info[0].As<Napi::Object>();
    opts_.paths = Strings(o, "paths");
    opts_.filesystem_mark = Bool(o, "filesystemMark", true);
    opts_.open_events = Bool(o, "openEvents", false);
    opts_.open_filter = static_cast<omamori::OpenFilter>(U32(o, "openFilter", 1));
    opts_.timeout_ms = U32(o, "timeoutMs", 200);
    opts_.fail_mode = static_cast<omamori::FailMode>(U32(o, "failMode", 1));
    opts_.max_pending = U32(o, "maxPending", 1024);
    opts_.cache_capacity = U32(o, "cacheCapacity", 65536);
    opts_.ignore_own_children = Bool(o, "ignoreOwnChildren", true);
    opts_.open_ignore_marks = Bool(o, "openIgnoreMarks", false);
    Napi::Value f = o.Get("follow");
    if (f.IsObject()) {
      Napi::Object fo = f.As<Napi::Object>();
      opts_.mounts.follow = true;
      opts_.mounts.all = Bool(fo, "all", false);
      opts_.mounts.beneath = Strings(fo, "beneath");
      opts_.mounts.skip_types = Strings(fo, "skipTypes");
      opts_.mounts.exec_only_types = Strings(fo, "execOnlyTypes");
      opts_.mounts.namespaces = Bool(fo, "namespaces", false);
      opts_.mounts.source = static_cast<omamori::MountSource>(U32(fo, "source", 0));
    }
    napi_add_env_cleanup_hook(info.Env(), &Listener::Cleanup, this);
  }
  ~Listener() override {
    napi_remove_env_cleanup_hook(Env(), &Listener::Cleanup, this);
    core_.Stop();
  }

  FanotifyCore &core() { return core_; }

 private:
  static void Cleanup(void *arg) { static_cast<Listener *>(arg)->core_.Stop(); }

  // start(onEvent, onFail)
  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (started_) throw Napi::Error::New(env, "listener already started");
    tsfn_ = Tsfn::New(env, info[0].As<Napi::Function>(), "omamori-fanotify", opts_.max_pending, 1, this);
    fail_tsfn_ = FailTsfn::New(env, info[1].As<Napi::Function>(), "omamori-fanotify-fail", 1024, 1, this);
    Tsfn tsfn = tsfn_;
    FailTsfn fail_tsfn = fail_tsfn_;
    std::string err = core_.Start(
        opts_, [tsfn](Event *ev) mutable { return tsfn.NonBlockingCall(ev) == napi_ok; },
        [fail_tsfn](FailRecord *rec) mutable { return fail_tsfn.NonBlockingCall(rec) == napi_ok; });
    if (!err.empty()) {
      tsfn_.Release();
      fail_tsfn_.Release();
      throw Napi::Error::New(env, err);
    }
    started_ = true;
    Ref();  // stay alive while the thread runs
    return env.Undefined();
  }

  // respond(id, allow, cache, ignoreOpens, processData) -> 0 unknown, 1 answered, 2 late (kernel allowed), 3 late (denied)
  Napi::Value Respond(const Napi::CallbackInfo &info) {
    uint64_t id = (uint64_t)info[0].As<Napi::Number>().Int64Value();
    auto r = core_.Respond(id, info[1].ToBoolean(), info[2].ToBoolean(), info.Length() > 3 && info[3].ToBoolean(),
                          info.Length() > 4 && info[4].ToBoolean());
    return Napi::Number::New(info.Env(), (double)r);
  }

  // read(id, buffer, position) -> bytes read, or -1 when the event is no longer pending
  Napi::Value Read(const Napi::CallbackInfo &info) {
    uint64_t id = (uint64_t)info[0].As<Napi::Number>().Int64Value();
    Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
    uint64_t pos = (uint64_t)info[2].As<Napi::Number>().Int64Value();
    return Napi::Number::New(info.Env(), (double)core_.Read(id, buf.Data(), buf.Length(), pos));
  }

  Napi::Value SetFailSettings(const Napi::CallbackInfo &info) {
    core_.SetFailSettings(static_cast<omamori::FailMode>(info[0].As<Napi::Number>().Uint32Value()),
                          info[1].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  Napi::Value AddInterpreter(const Napi::CallbackInfo &info) {
    bool lossless = true;
    uint64_t ino = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
    core_.AddInterpreter((uint64_t)info[0].As<Napi::Number>().Int64Value(), ino);
    return info.Env().Undefined();
  }

  // setFastExec({ enabled, names, prefixes, devs, launcher?: { dev, ino } })
  Napi::Value SetFastExec(const Napi::CallbackInfo &info) {
    Napi::Object o = info[0].As<Napi::Object>();
    omamori::FastExec f;
    f.enabled = Bool(o, "enabled", false);
    f.names = Strings(o, "names");
    f.prefixes = Strings(o, "prefixes");
    Napi::Value d = o.Get("devs");
    if (d.IsArray()) {
      Napi::Array a = d.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) f.devs.push_back((uint64_t)a.Get(i).As<Napi::Number>().Int64Value());
    }
    f.script_exts = Strings(o, "scriptExtensions");
    Napi::Value l = o.Get("launcher");
    if (l.IsObject()) {
      bool lossless;
      Napi::Object lo = l.As<Napi::Object>();
      f.launcher_dev = (uint64_t)lo.Get("dev").As<Napi::Number>().Int64Value();
      f.launcher_ino = lo.Get("ino").As<Napi::BigInt>().Uint64Value(&lossless);
    }
    core_.SetFastExec(f);
    return info.Env().Undefined();
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

  Napi::Value Marks(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto marks = core_.Marks();
    Napi::Array a = Napi::Array::New(env, marks.size());
    for (size_t i = 0; i < marks.size(); i++) {
      Napi::Object m = Napi::Object::New(env);
      m.Set("dev", (double)marks[i].dev);
      m.Set("where", marks[i].where);
      m.Set("type", marks[i].type);
      m.Set("execOnly", marks[i].exec_only);
      a.Set((uint32_t)i, m);
    }
    return a;
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
    o.Set("unreadable", (double)s.unreadable);
    o.Set("interpreters", (double)s.interps);
    o.Set("interpreterOpens", (double)s.interpreter_opens);
    o.Set("attribFlushes", (double)s.attrib_flushes);
    o.Set("failRecordsLost", (double)s.fail_records_lost);
    o.Set("fastAllows", (double)s.fast_allows);
    o.Set("dataHits", (double)s.data_hits);
    o.Set("mountChanges", (double)s.mounts.changes);
    o.Set("mountReconciles", (double)s.mounts.reconciles);
    o.Set("namespaces", (double)s.mounts.namespaces);
    o.Set("markErrors", (double)s.mounts.mark_errors);
    static const char *kSources[] = {"auto", "fanotify", "mountinfo", "none"};
    o.Set("mountSource", kSources[(int)s.mounts.source & 3]);
    o.Set("failMode", s.fail_mode == omamori::FailMode::Open ? "open" : "closed");
    o.Set("timeoutMs", (double)s.timeout_ms);
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
      fail_tsfn_.Release();
      Unref();
    }
    return info.Env().Undefined();
  }

  omamori::Options opts_;
  FanotifyCore core_;
  Tsfn tsfn_;
  FailTsfn fail_tsfn_;
  bool started_ = false;
};

// Runs on the JS thread. Events already answered (timeout, stop) while queued are not delivered: their fail record is.
void CallJs(Napi::Env env, Napi::Function fn, Listener *self, Event *ev) {
  std::unique_ptr<Event> owned(ev);
  if (env == nullptr || fn.IsEmpty() || !self->core().Deliver(ev->id)) return;
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", (double)ev->id);
  o.Set("pid", ev->pid);
  o.Set("kind", KindName(ev->kind));
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
  o.Set("contentRead", ev->content_read);
  o.Set("header", Napi::Buffer<uint8_t>::Copy(env, ev->header.data(), ev->header.size()));
  if (ev->dirs_ok) {
    Napi::Uint32Array d = Napi::Uint32Array::New(env, ev->dirs.size() * 3);
    for (size_t i = 0; i < ev->dirs.size(); i++) {
      d[i * 3] = ev->dirs[i].uid;
      d[i * 3 + 1] = ev->dirs[i].gid;
      d[i * 3 + 2] = ev->dirs[i].mode;
    }
    o.Set("dirs", d);
  } else {
    o.Set("dirs", env.Null());
  }
  o.Set("interpreterOpen", ev->interpreter_open);
  try {
    fn.Call({o});
  } catch (const Napi::Error &e) {
    e.ThrowAsJavaScriptException();  // surfaces as an uncaught exception; src/fanotify.ts catches first
  }
}

void CallJsFail(Napi::Env env, Napi::Function fn, Listener *self, FailRecord *rec) {
  std::unique_ptr<FailRecord> owned(rec);
  if (env == nullptr || fn.IsEmpty()) return;
  static const char *kCauses[] = {"timeout", "queue-full", "unreadable"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", rec->pid);
  o.Set("kind", KindName(rec->kind));
  o.Set("path", rec->path);
  o.Set("answer", rec->allowed ? "allow" : "deny");
  o.Set("cause", kCauses[(int)rec->cause % 3]);
  try {
    fn.Call({o});
  } catch (const Napi::Error &e) {
    e.ThrowAsJavaScriptException();
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
