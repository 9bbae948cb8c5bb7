# binding.gyp — the fallback source build (node-gyp) for machines without CMake: cpu + cuda-sim
# backends, the same sources and flags as CMakeLists.txt, no CUDA. The x86 kernel tables and
# their flags only on x64 (elsewhere the portable baseline alone). Keep the source list in step
# with CMakeLists.txt (test/build.test.ts checks it). "gypfile": false in package.json stops npm
# from running it on install: scripts/build-native.mjs runs it when asked to.
{
  "target_defaults": {
    "cflags_cc!": [
      "-fno-exceptions",
      "-fno-rtti",
      "-std=gnu++17",
      "-std=gnu++20"
    ],
    "cflags_cc": [
      "-std=c++17",
      "-fexceptions",
      "-O3",
      "-ffp-contract=off",
      "-fno-math-errno",
      "-fvisibility=hidden"
    ],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_CPP_EXCEPTIONS",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "CUOPTIM_CUDA_ABSENT_REASON=\"this build of cuoptim does not include it: the node-gyp fallback build has no CUDA backend (build with CMake)\""
    ],
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")"
    ],
    "conditions": [
      [
        "'<!(node -p \"process.env.CUOPTIM_SANITIZE || ''\")'=='1'",
        {
          "cflags_cc": [
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer",
            "-g"
          ],
          "ldflags": [
            "-fsanitize=address,undefined"
          ]
        }
      ],
      [
        "target_arch=='x64'",
        {
          "defines": [
            "CUOPTIM_CPU_X86"
          ]
        }
      ]
    ]
  },
  "targets": [
    {
      "target_name": "cuoptim_cpu_baseline",
      "type": "static_library",
      "sources": [
        "src-native/cpu/kernels_baseline.cc"
      ]
    },
    {
      "target_name": "cuoptim",
      "dependencies": [
        "cuoptim_cpu_baseline"
      ],
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "dependencies": [
              "cuoptim_cpu_avx512",
              "cuoptim_cpu_avx2"
            ]
          }
        ]
      ],
      "sources": [
        "src-native/adafactor_op.cc",
        "src-native/dist_ops.cc",
        "src-native/linalg_ops.cc",
        "src-native/addon.cc",
        "src-native/backends.cc",
        "src-native/binding_util.cc",
        "src-native/call_scope.cc",
        "src-native/memory_stats.cc",
        "src-native/norm_ops.cc",
        "src-native/op_specs.cc",
        "src-native/op_specs_tfjs.cc",
        "src-native/op_specs_torch_extra.cc",
        "src-native/op_specs_frontier.cc",
        "src-native/ops.cc",
        "src-native/ops_common.cc",
        "src-native/quant_ops.cc",
        "src-native/selftest_op.cc",
        "src-native/tensor.cc",
        "src-native/tensor_wrap.cc",
        "src-native/cpu/adafactor.cc",
        "src-native/cpu/gemm.cc",
        "src-native/cpu/cpu_backend.cc",
        "src-native/cpu/isa.cc",
        "src-native/cpu/norm.cc",
        "src-native/cpu/thread_pool.cc",
        "src-native/distributed/collectives.cc",
        "src-native/distributed/mpi_abi.cc",
        "src-native/distributed/nccl_abi.cc",
        "src-native/distributed/world.cc",
        "src-native/sim/kernels_sim.cc",
        "src-native/sim/sim_backend.cc",
        "kernels/sim/cuda_sim.cc"
      ],
      "libraries": [
        "-ldl"
      ]
    }
  ],
  "conditions": [
    [
      "target_arch=='x64'",
      {
        "targets": [
          {
            "target_name": "cuoptim_cpu_avx512",
            "type": "static_library",
            "sources": [
              "src-native/cpu/kernels_avx512.cc"
            ],
            "cflags_cc": [
              "-mavx512f",
              "-mavx512vl",
              "-mavx512bw",
              "-mavx512dq",
              "-mfma",
              "-mprefer-vector-width=512",
              "-mtune-ctrl=use_gather"
            ]
          },
          {
            "target_name": "cuoptim_cpu_avx2",
            "type": "static_library",
            "sources": [
              "src-native/cpu/kernels_avx2.cc"
            ],
            "cflags_cc": [
              "-mavx2",
              "-mfma",
              "-mf16c",
              "-mtune-ctrl=use_gather"
            ]
          }
        ]
      }
    ]
  ]
}
