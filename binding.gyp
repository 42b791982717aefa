{
  "targets": [
    {
      "target_name": "rozen_native",
      "sources": ["src/native/rozen_native.c", "src/native/scan_dir.c", "src/native/read_files.c", "src/native/list_dir.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
