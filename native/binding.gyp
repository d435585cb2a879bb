{
  "targets": [
    {
      "target_name": "tskeepalived_native",
      "sources": ["src/addon.c", "src/sock.c", "src/io.c", "src/misc.c", "src/nl.c", "src/sig.c", "src/spawn.c", "src/inet.c", "src/timer.c", "src/realtime.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
