# Builds the Node addon (fanotify loop, Landlock ABI probe) and the omamori-launch executable (Landlock launcher).
{
  "targets": [
    {
      "target_name": "omamori_native",
      "sources": ["csrc/addon.cc", "csrc/fanotify-core.cc", "csrc/subject-classes.cc", "csrc/file-facts.cc", "csrc/mount-watch.cc", "csrc/sd-notify.c"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "omamori-launch",
      "type": "executable",
      "sources": ["csrc/launch.c", "csrc/launch-rules.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
