{
  "targets": [
    {
      "target_name": "rozen_native",
      "sources": [
        "src/native/rozen_native.c", "src/native/scan_dir.c", "src/native/read_files.c", "src/native/list_dir.c",
        "src/native/fuse_dev.c", "src/native/open_blobs.c", "src/native/seal_blobs.c", "src/native/gear_cuts.c",
        "src/native/write_blobs.c", "src/native/reseal_blobs.c", "src/native/sha256_pool.c", "src/native/heap_trim.c", "src/native/build_info.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "dependencies": ["zstd"]
    },
    {
      # The zstd that zstd-napi ships (the same version the rest of Rozen uses), for open_blobs.c and seal_blobs.c.
      # Found as require() finds it, wherever npm placed it (in Rozen's node_modules, or hoisted to a parent's).
      "target_name": "zstd",
      "type": "static_library",
      "variables": {
        "zstd": "<!(node --preserve-symlinks -p \"path.relative('.', path.dirname(require.resolve('zstd-napi/package.json')))\")/deps/zstd/lib"
      },
      "sources": [
        "<(zstd)/common/debug.c", "<(zstd)/common/entropy_common.c", "<(zstd)/common/error_private.c",
        "<(zstd)/common/fse_decompress.c", "<(zstd)/common/xxhash.c", "<(zstd)/common/zstd_common.c",
        "<(zstd)/decompress/huf_decompress.c", "<(zstd)/decompress/huf_decompress_amd64.S",
        "<(zstd)/decompress/zstd_ddict.c", "<(zstd)/decompress/zstd_decompress.c",
        "<(zstd)/decompress/zstd_decompress_block.c",
        "<(zstd)/compress/fse_compress.c", "<(zstd)/compress/hist.c", "<(zstd)/compress/huf_compress.c",
        "<(zstd)/compress/zstd_compress.c", "<(zstd)/compress/zstd_compress_literals.c",
        "<(zstd)/compress/zstd_compress_sequences.c", "<(zstd)/compress/zstd_compress_superblock.c",
        "<(zstd)/compress/zstd_double_fast.c", "<(zstd)/compress/zstd_fast.c", "<(zstd)/compress/zstd_lazy.c",
        "<(zstd)/compress/zstd_ldm.c", "<(zstd)/compress/zstd_opt.c", "<(zstd)/compress/zstd_preSplit.c"
      ],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "defines": ["XXH_NAMESPACE=ZSTD_", "ZSTD_NO_TRACE", "ZSTDLIB_VISIBLE=", "ZSTDERRORLIB_VISIBLE="],
      "direct_dependent_settings": { "include_dirs": ["<(zstd)"] }
    }
  ]
}
