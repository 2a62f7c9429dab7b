{
  "targets": [
    {
      "target_name": "hnsw_native",
      "sources": ["../src/hnsw_native.cc", "../src/engine.cc", "../src/index_file.cc", "../src/ip_space.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"require('path').join(require('path').dirname(require.resolve('hnswlib-node/package.json')), 'src', 'hnswlib')\")"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NAPI_VERSION=8"],
      "variables": { "sanitizers%": "address,undefined" },
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O3"],
      "cflags_cc": ["-std=c++17", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=<(sanitizers)"],
      "ldflags": ["-fsanitize=<(sanitizers)"]
    }
  ]
}
